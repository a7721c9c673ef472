/**
 * WorkbenchApi: the one interface the renderer talks to. Declared here once, with a zod schema for
 * the arguments and the result of every method; Electron IPC, the browser shell's WebSocket and the
 * test host are adapters of it (see electron/host/apiHandler.ts for the validating server side).
 */
import { z } from 'zod';
import { runOnSchema } from './remoteRun';
import { runConfigSchema, type RunConfigInput } from './runConfig';
import { backendInfoSchema, runEventSchema, runStateSchema, type RunEvent } from './runEvent';
import {
  classifyOptionsSchema,
  classifyResultSchema,
  decodedImageInputSchema,
  imageFileBytesListSchema,
  OOD_MAX_FILES_PER_CALL,
  OOD_MAX_IMAGES_PER_CALL,
  oodEvaluationSchema,
  oodGallerySchema,
  thresholdCalibrationSchema,
} from './ood';
import { shiftEvaluationSchema, shiftProgressSchema } from './shift';
import { posthocFitSchema, posthocFitsSchema } from './posthoc';
import { METHOD_IDS } from '../methods/method';
import { runSweepTagSchema, sweepFileSchema, sweepIdSchema, sweepStatusSchema } from './sweep';

import { runSummarySchema } from './runSummary';

export { runSummarySchema, type RunSummary } from './runSummary';

/** `runs/<id>/run.json`. */
export const runRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  tags: z.array(z.string()).default([]),
  config: runConfigSchema,
  state: runStateSchema,
  message: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  step: z.number().int().nonnegative().default(0),
  totalSteps: z.number().int().positive(),
  backend: backendInfoSchema.optional(),
  summary: runSummarySchema.optional(),
  /** Step of the run's stored checkpoint (`runs/<id>/checkpoint/`): resumeRun continues from here. */
  checkpointStep: z.number().int().nonnegative().optional(),
  /** Where the run trains: this machine (absent or `local`) or a queue worker (electron/host/remote). */
  runOn: runOnSchema.optional(),
  /** The queue worker that trains (or last trained) a remote run. */
  worker: z.string().max(200).optional(),
  /** The sweep that started this run (core/contract/sweep.ts), if any. */
  sweep: runSweepTagSchema.optional(),
  /** A deep ensemble combined after training (combineRunsIntoEnsemble): the ids of its member runs. */
  combinedFrom: z.array(z.string()).optional(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

/** Why a run folder cannot be used whole (a file that is a link or a folder, run.json unreadable, …). */
export const runDamageSchema = z.object({ reason: z.string() });
export type RunDamage = z.infer<typeof runDamageSchema>;
/**
 * One entry of `listRuns`: a run (with `damaged` when a file of its folder cannot be used), or a
 * folder whose run.json cannot be read at all (only its id and the reason). A damaged folder is
 * listed, never fatal, and left on disk as it is.
 */
export const runListEntrySchema = z.union([
  runRecordSchema.extend({ damaged: runDamageSchema.optional() }),
  z.object({ id: z.string(), damaged: runDamageSchema }),
]);
export type RunListEntry = z.infer<typeof runListEntrySchema>;

export const presetSchema = z.object({ name: z.string(), description: z.string(), config: runConfigSchema });
export const experimentInfoSchema = z.object({
  name: z.string(),
  title: z.string(),
  presets: z.array(presetSchema),
  /** Training images per dataset name where known before loading, for the default KL weight 1/N_train. */
  trainImages: z.record(z.string(), z.number().int().positive()).optional(),
});
export type ExperimentInfo = z.infer<typeof experimentInfoSchema>;

export const environmentSchema = z.object({
  shell: z.enum(['electron', 'browser', 'test']),
  version: z.string(),
  runsDir: z.string(),
  /** Set when this process may not change the runs folder (another process owns it, or it cannot be written): why. */
  readOnlyReason: z.string().optional(),
  /** Set when a run queue (Redis) is configured: its URL with the password masked, and why it cannot be used now, if so. */
  queue: z.object({ url: z.string(), problem: z.string().optional() }).optional(),
});
export type Environment = z.infer<typeof environmentSchema>;

const runId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.-]+$/, 'a run id has only letters, digits, "_", "-" and "."');
const startRunArgs = z.object({
  config: runConfigSchema,
  name: z.string().max(200).optional(),
  /** `queue`: trained by a queue worker on another machine (the host must have a queue configured). */
  runOn: runOnSchema.optional(),
});
const runName = z.string().trim().min(1, 'a run name cannot be empty').max(200);
/** Tags are short labels; duplicates are dropped (case-sensitive) and order is kept. */
const runTags = z.array(z.string().trim().min(1, 'a tag cannot be empty').max(40)).max(32);

/** Every request method: its arguments (a tuple) and its result. */
export const apiMethods = {
  getEnvironment: { args: z.tuple([]), result: environmentSchema },
  listExperiments: { args: z.tuple([]), result: z.array(experimentInfoSchema) },
  listRuns: { args: z.tuple([]), result: z.array(runListEntrySchema) },
  getRun: { args: z.tuple([runId]), result: runRecordSchema },
  getRunEvents: { args: z.tuple([runId]), result: z.array(runEventSchema) },
  startRun: { args: z.tuple([startRunArgs]), result: runRecordSchema },
  stopRun: { args: z.tuple([runId]), result: z.null() },
  /** Holds a training run between two steps (status `paused`); resumeRun lets it go on. */
  pauseRun: { args: z.tuple([runId]), result: z.null() },
  /**
   * A paused run goes on; an interrupted, stopped or failed run with a checkpoint is queued again
   * and continues from the checkpoint's step, appending to the same event log.
   */
  resumeRun: { args: z.tuple([runId]), result: runRecordSchema },
  /** Removes the run's folder; refused while the run is queued, training or paused. */
  deleteRun: { args: z.tuple([runId]), result: z.null() },
  renameRun: { args: z.tuple([runId, runName]), result: runRecordSchema },
  setRunTags: { args: z.tuple([runId, runTags]), result: runRecordSchema },
  /**
   * Out-of-distribution images (a LeNet5 run with a checkpoint: a running run's latest, a finished
   * run's final one). Each image is preprocessed to MNIST form and classified by T posterior draws;
   * a bad image gets its own `ok: false` entry and the others are still classified.
   */
  classifyImages: {
    args: z.tuple([
      runId,
      z.array(decodedImageInputSchema).min(1).max(OOD_MAX_IMAGES_PER_CALL),
      classifyOptionsSchema.optional(),
    ]),
    result: classifyResultSchema,
  },
  /**
   * The same for image files sent as bytes (dropped, picked or pasted in any shell): the host
   * decodes them — the one decoder and preprocessing every shell and the CLI share.
   */
  classifyImageFiles: {
    args: z.tuple([runId, imageFileBytesListSchema, classifyOptionsSchema.optional()]),
    result: classifyResultSchema,
  },
  /**
   * The same for files the host reads itself: Electron only, and only paths the user dropped or
   * picked since the app started (a caller without that capability — the browser shell — does not
   * have this method at all). See electron/shell/pathGrants.ts.
   */
  classifyFiles: {
    args: z.tuple([
      runId,
      z.array(z.string().min(1).max(4096)).min(1).max(OOD_MAX_FILES_PER_CALL),
      classifyOptionsSchema.optional(),
    ]),
    result: classifyResultSchema,
  },
  /** The threshold at which 95 % of the run's held-out images are accepted. */
  calibrateThreshold: { args: z.tuple([runId]), result: thresholdCalibrationSchema },
  /** Held-out digits against Fashion-MNIST, noise and letters; stored as runs/<id>/ood.json. */
  evaluateOod: { args: z.tuple([runId]), result: oodEvaluationSchema },
  /** The stored OOD evaluation of a run, or null when it has none. */
  getOodEvaluation: { args: z.tuple([runId]), result: oodEvaluationSchema.nullable() },
  /** Sample images to try: held-out digits, Fashion-MNIST items, noise, letters drawn from fonts. */
  getOodGallery: { args: z.tuple([]), result: oodGallerySchema },
  /** Dataset shift (rotations, translations, OOD sets) of the run's checkpoint; stored once as runs/<id>/shift.json. */
  evaluateShift: { args: z.tuple([runId]), result: shiftEvaluationSchema },
  /**
   * A deep ensemble from a seed group of deterministic runs, combined after training: stored as a new
   * run (method ensemble, its record naming the members) with its held-out scores; returns its record.
   */
  combineRunsIntoEnsemble: {
    args: z.tuple([z.array(runId).min(1).max(20), z.string().max(200).optional()]),
    result: runRecordSchema,
  },
  /** The stored shift evaluation of a run, or null when it has none. */
  getShiftEvaluation: { args: z.tuple([runId]), result: shiftEvaluationSchema.nullable() },
  /**
   * The post-hoc fits stored with a run (runs/<id>/posthoc-<method>.json, written by `npm run evaluate --
   * temperature|laplace`), and why any stored file was left out.
   */
  getPosthocFits: { args: z.tuple([runId]), result: posthocFitsSchema },
  /**
   * Fits a post-hoc method (temperature scaling, last-layer Laplace) to a stored run, as `npm run
   * evaluate -- <method>` does, and stores it with the run; refused before anything runs when the
   * run's method or task does not allow it, with what would work. Answers with the stored fit.
   */
  fitPosthoc: { args: z.tuple([runId, z.enum(METHOD_IDS)]), result: posthocFitSchema },
  /** How far the run's shift evaluation in progress is (sets scored of all), or null when none runs. */
  getShiftProgress: { args: z.tuple([runId]), result: shiftProgressSchema.nullable() },
  /**
   * Expands a sweep (base configuration × axes × seeds, core/sweeps), validates every run's
   * configuration, records the sweep and queues its runs, each tagged with the sweep; answers with
   * its status. A sweep with one bad configuration starts nothing.
   */
  startSweep: { args: z.tuple([sweepFileSchema]), result: sweepStatusSchema },
  /** Every recorded sweep with its progress, newest first. */
  listSweeps: { args: z.tuple([]), result: z.array(sweepStatusSchema) },
  /** One sweep with its progress (queued / running / done / failed per run), derived from its runs' records. */
  getSweep: { args: z.tuple([sweepIdSchema]), result: sweepStatusSchema },
} as const;
export type ApiMethodName = keyof typeof apiMethods;
export const apiMethodNames = Object.keys(apiMethods) as ApiMethodName[];
/**
 * Methods that name host paths: a capability of the Electron shell, whose user picked the paths.
 * A caller without path grants (a browser-shell token holder) is answered as if they did not exist.
 */
export const pathMethodNames: readonly ApiMethodName[] = ['classifyFiles'];

type Args<M extends ApiMethodName> = z.input<(typeof apiMethods)[M]['args']>;
type Result<M extends ApiMethodName> = z.infer<(typeof apiMethods)[M]['result']>;

/** The request half of the API: one async function per method. */
export type WorkbenchRequests = { [M in ApiMethodName]: (...args: Args<M>) => Promise<Result<M>> };

/** What the renderer holds: the requests plus a subscription to the live event stream. */
export interface WorkbenchApi extends WorkbenchRequests {
  /** Calls `listener` for every event of every run from now on; returns the unsubscribe function. */
  onRunEvent(listener: (event: RunEvent) => void): () => void;
}

export type StartRunArgs = { config: RunConfigInput; name?: string };

/** An error that crossed a transport as a value and is thrown again on the other side. */
export class WorkbenchApiError extends Error {
  constructor(
    message: string,
    readonly method?: string,
  ) {
    super(message);
    this.name = 'WorkbenchApiError';
  }
}

/** A message of the wire protocol shared by the WebSocket shell (requests, replies, pushed events). */
export const wireRequestSchema = z.object({
  id: z.number().int(),
  method: z.string().max(64),
  args: z.array(z.unknown()).max(16),
});
export type WireRequest = z.infer<typeof wireRequestSchema>;
export type WireReply = { id: number; ok: true; result: unknown } | { id: number | null; ok: false; error: string };
export type WirePush = { event: RunEvent };

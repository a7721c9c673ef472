/**
 * What crosses Redis for a run trained on another machine (electron/host/remote): the BullMQ job
 * that asks a worker to train it, and the entries the worker appends to the run's Redis stream.
 * Both ends validate with these schemas: the worker every job it takes, the host every entry it
 * reads, so a bad message fails one run with a clear reason and harms nothing else.
 */
import { z } from 'zod';
import { checkpointIntervalMsSchema, runConfigSchema } from './runConfig';
import { backendInfoSchema, runEventSchema } from './runEvent';
import { runSummarySchema } from './runSummary';
import { checkpointManifestSchema } from '../training/checkpoint';

export const REMOTE_JOB_FORMAT = 'bayesian-workbench/remote-run@1';

/** Where a run trains: on this machine's worker threads, or on a queue worker elsewhere. */
export const runOnSchema = z.enum(['local', 'queue']);
export type RunOn = z.infer<typeof runOnSchema>;

const runIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._-]+$/, 'a run id has only letters, digits, dots, dashes and underscores');

/** The largest checkpoint carried through Redis (base64 text of its values): a LeNet5 state is ~2 MB. */
export const MAX_REMOTE_CHECKPOINT_BASE64 = 48 * 1024 * 1024;

/** The payload of one BullMQ job: train `runId` with `config`, from the host's stored checkpoint if there is one. */
export const remoteJobSchema = z.object({
  format: z.literal(REMOTE_JOB_FORMAT),
  runId: runIdSchema,
  config: runConfigSchema,
  /**
   * The host's stored checkpoint as the worker finds it in Redis (`key`), or null when the run
   * starts from step 0. The host updates the key after each checkpoint it stores, so a retry
   * after a dead worker continues from the newest one.
   */
  checkpoint: z.object({ key: z.string().min(1).max(300) }),
  /** The run's Redis stream (events back to the host) and control key (stop / pause / resume). */
  streamKey: z.string().min(1).max(300),
  controlKey: z.string().min(1).max(300),
  /** Counts the attempts of this run across workers (INCR); the first attempt is 1. */
  attemptKey: z.string().min(1).max(300),
  checkpointIntervalMs: checkpointIntervalMsSchema.optional(),
});
export type RemoteJob = z.infer<typeof remoteJobSchema>;

/** The checkpoint as stored in Redis by the host and sent back by a worker: manifest + base64 float32 values. */
export const remoteCheckpointSchema = z.object({
  manifest: checkpointManifestSchema,
  values: z
    .string()
    .max(MAX_REMOTE_CHECKPOINT_BASE64)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'values must be base64'),
});
export type RemoteCheckpoint = z.infer<typeof remoteCheckpointSchema>;

/** A worker began (or, after another worker died, took over) the run. */
const attemptEntry = z.object({
  kind: z.literal('attempt'),
  worker: z.string().min(1).max(200),
  /** The checkpoint step it starts from (0 without one). */
  fromStep: z.number().int().nonnegative(),
});
const eventEntry = z.object({ kind: z.literal('event'), event: runEventSchema });
const checkpointEntry = z.object({ kind: z.literal('checkpoint'), checkpoint: remoteCheckpointSchema });
const doneEntry = z.object({
  kind: z.literal('done'),
  state: z.enum(['completed', 'stopped', 'failed']),
  step: z.number().int().nonnegative(),
  summary: runSummarySchema.optional(),
  message: z.string().max(4000).optional(),
  backend: backendInfoSchema.optional(),
});

/** The body of one stream entry (field `body`, JSON); fields `attempt` and `seq` order it. */
export const remoteEntryBodySchema = z.discriminatedUnion('kind', [
  attemptEntry,
  eventEntry,
  checkpointEntry,
  doneEntry,
]);
export type RemoteEntryBody = z.infer<typeof remoteEntryBodySchema>;

/** The envelope of a stream entry: which attempt wrote it and its place (1, 2, …) within that attempt. */
export const remoteEntryEnvelopeSchema = z.object({
  attempt: z.coerce.number().int().positive(),
  seq: z.coerce.number().int().positive(),
  body: z.string().max(MAX_REMOTE_CHECKPOINT_BASE64 + 64 * 1024),
});

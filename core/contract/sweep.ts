/**
 * Sweeps as they cross process boundaries and sit on disk: the stored record of a sweep
 * (`runs/.sweeps/<id>.json`: its definition, the runs it started and their seed groups) and its
 * status, derived from the runs' own records whenever it is asked for, so it survives a restart.
 */
import { z } from 'zod';
import { runStateSchema } from './runEvent';
import { sweepFileSchema } from '../sweeps/sweepFile';

export { sweepFileSchema, type SweepFile, type SweepFileInput } from '../sweeps/sweepFile';

const sweepIdPattern = /^sweep-[A-Za-z0-9_.-]+$/;
export const sweepIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(sweepIdPattern, 'a sweep id starts with "sweep-" and has only letters, digits, "_", "-" and "."');

/** A run's tag of the sweep that started it (run.json's `sweep`). */
export const runSweepTagSchema = z.object({ sweepId: z.string().max(128), sweepName: z.string().max(120) });
export type RunSweepTag = z.infer<typeof runSweepTagSchema>;

export const sweepRecordSchema = z.object({
  id: sweepIdSchema,
  name: z.string(),
  createdAt: z.string(),
  definition: sweepFileSchema,
  /** The swept keys, in the file's order. */
  keys: z.array(z.string()),
  /** Every run the sweep started, in the order they were queued. */
  runIds: z.array(z.string()),
  /** Runs whose configurations differ only in seed; `axisValues` are the group's values of the swept keys. */
  groups: z.array(z.object({ axisValues: z.record(z.string(), z.unknown()), runIds: z.array(z.string()) })),
});
export type SweepRecord = z.infer<typeof sweepRecordSchema>;

/** How far a run of a sweep is: done = completed; failed = failed, stopped, interrupted or gone. */
export const sweepRunProgressSchema = z.enum(['queued', 'running', 'done', 'failed']);
export type SweepRunProgress = z.infer<typeof sweepRunProgressSchema>;

export const sweepRunStatusSchema = z.object({
  id: z.string(),
  /** The run's state, or `missing` when its folder was deleted or cannot be read. */
  state: z.union([runStateSchema, z.literal('missing')]),
  progress: sweepRunProgressSchema,
  step: z.number().int().nonnegative(),
  totalSteps: z.number().int().nonnegative(),
  message: z.string().optional(),
});
export type SweepRunStatus = z.infer<typeof sweepRunStatusSchema>;

export const sweepStatusSchema = z.object({
  sweep: sweepRecordSchema,
  runs: z.array(sweepRunStatusSchema),
  counts: z.object({
    queued: z.number().int().nonnegative(),
    running: z.number().int().nonnegative(),
    done: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
  }),
  /** Every run is done or failed. */
  finished: z.boolean(),
});
export type SweepStatus = z.infer<typeof sweepStatusSchema>;

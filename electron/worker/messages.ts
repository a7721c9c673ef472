/**
 * The messages between the host and the training worker (node:worker_threads), validated on both
 * sides: the worker checks what the host asks, the host checks what the worker reports.
 */
import { z } from 'zod';
import { runConfigSchema } from '../../core/contract/runConfig';
import { runEventSchema } from '../../core/contract/runEvent';
import { runSummarySchema } from '../../core/contract/workbenchApi';
import { checkpointManifestSchema } from '../../core/training/checkpoint';

const runId = z.string().min(1).max(128);

/** A checkpoint as it crosses the port and sits on disk: manifest plus little-endian float32 values. */
export const serializedCheckpointSchema = z.object({ manifest: checkpointManifestSchema, values: z.instanceof(Uint8Array) });

/** Host → worker: train this run now (the host's queue guarantees one at a time), from `checkpoint` if given. */
export const startRunMessageSchema = z.object({ type: z.literal('start'), runId, config: runConfigSchema, checkpoint: serializedCheckpointSchema.optional() });
/** Host → worker: end the current run early at the next step boundary. */
export const stopRunMessageSchema = z.object({ type: z.literal('stop'), runId });
/** Host → worker: hold the current run at the next step boundary / let it go on. */
export const pauseRunMessageSchema = z.object({ type: z.literal('pause'), runId });
export const resumeRunMessageSchema = z.object({ type: z.literal('resume'), runId });

export const hostToWorkerMessageSchema = z.discriminatedUnion('type', [startRunMessageSchema, stopRunMessageSchema, pauseRunMessageSchema, resumeRunMessageSchema]);
export type HostToWorkerMessage = z.infer<typeof hostToWorkerMessageSchema>;
export type StartRunMessage = z.infer<typeof startRunMessageSchema>;

/** Worker → host: one event of the run, stamped with runId and time. */
export const runEventMessageSchema = z.object({ type: z.literal('event'), event: runEventSchema });

/** Worker → host: the run's training state after `manifest.step` steps, to store as its checkpoint. */
export const runCheckpointMessageSchema = z.object({ type: z.literal('checkpoint'), runId, checkpoint: serializedCheckpointSchema });

/** Worker → host: the run is over; the worker is ready for the next one. */
export const runDoneMessageSchema = z.object({
  type: z.literal('done'),
  runId,
  state: z.enum(['completed', 'stopped', 'failed']),
  step: z.number().int().nonnegative(),
  summary: runSummarySchema.optional(),
  message: z.string().optional(),
});

/** Worker → host: a message the worker could not act on (not tied to a run it is training). */
export const workerErrorMessageSchema = z.object({ type: z.literal('error'), message: z.string() });

export const workerToHostMessageSchema = z.discriminatedUnion('type', [
  runEventMessageSchema,
  runCheckpointMessageSchema,
  runDoneMessageSchema,
  workerErrorMessageSchema,
]);
export type WorkerToHostMessage = z.infer<typeof workerToHostMessageSchema>;
export type RunDoneMessage = z.infer<typeof runDoneMessageSchema>;
export type SerializedCheckpointMessage = z.infer<typeof serializedCheckpointSchema>;

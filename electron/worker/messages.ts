/**
 * The messages between the host and the training worker (node:worker_threads), validated on both
 * sides: the worker checks what the host asks, the host checks what the worker reports.
 */
import { z } from 'zod';
import { checkpointIntervalMsSchema, runConfigSchema } from '../../core/contract/runConfig';
import { runEventSchema } from '../../core/contract/runEvent';
import { runSummarySchema } from '../../core/contract/workbenchApi';
import { checkpointManifestSchema } from '../../core/training/checkpoint';

const runId = z.string().min(1).max(128);
/** Pairs an `ood` request with its `oodReply`. */
const requestId = z.number().int().nonnegative();

/** A checkpoint as it crosses the port and sits on disk: manifest plus little-endian float32 values. */
export const serializedCheckpointSchema = z.object({
  manifest: checkpointManifestSchema,
  values: z.instanceof(Uint8Array),
});

/** Host → worker: train this run now (the host's queue guarantees one at a time), from `checkpoint` if given. */
export const startRunMessageSchema = z.object({
  type: z.literal('start'),
  runId,
  config: runConfigSchema,
  checkpoint: serializedCheckpointSchema.optional(),
  /** Training time between checkpoints taken without an evaluation (the host's setting; 60 s by default). */
  checkpointIntervalMs: checkpointIntervalMsSchema.optional(),
  /**
   * Recorded with the run's backend among the skipped ones, after the worker's own reasons: why the
   * host did not send the run elsewhere (the desktop app's GPU window, electron/host/desktopRunRoute.ts).
   */
  backendNotes: z
    .array(z.object({ name: z.string().max(64), reason: z.string().max(1000) }))
    .max(8)
    .optional(),
});
/** Host → worker: end the current run early at the next step boundary. */
export const stopRunMessageSchema = z.object({ type: z.literal('stop'), runId });
/** Host → worker: hold the current run at the next step boundary / let it go on. */
/** `reason`: why the run waits when the host (not the user) holds it, said in its `paused` status. */
export const pauseRunMessageSchema = z.object({
  type: z.literal('pause'),
  runId,
  reason: z.string().max(500).optional(),
});
export const resumeRunMessageSchema = z.object({ type: z.literal('resume'), runId });

/**
 * Host → worker: Monte Carlo class probabilities of image sets under T posterior draws of the
 * network of the run's checkpoint `network` (never the live training variables). The checkpoint is
 * named, not sent: the worker keeps the latest network of each run, and reads the run folder's
 * checkpoint itself on a miss, so no parameters or optimizer moments cross the port for inference.
 * Served between training steps, or at once when no run trains (./oodServer.ts). A set is the
 * run's held-out images (optionally shifted, or another bundled dataset's) or given pixels.
 */
export const oodImageSetSchema = z.discriminatedUnion('source', [
  z.object({
    name: z.string().max(200),
    source: z.literal('heldout'),
    limit: z.number().int().positive().optional(),
    /** Another bundled dataset's held-out images (MNIST as the OOD set of a run trained on Fashion-MNIST). */
    dataset: z.literal('mnist').optional(),
    /** The held-out images shifted in the worker (core/shift), so 40 shift sets need not cross the port. */
    shift: z
      .object({ kind: z.enum(['rotation', 'roll', 'translation']), level: z.number().min(-360).max(360) })
      .optional(),
  }),
  z.object({
    name: z.string().max(200),
    source: z.literal('pixels'),
    count: z.number().int().positive(),
    images: z.instanceof(Float32Array),
  }),
]);
export const oodRequestMessageSchema = z.object({
  type: z.literal('ood'),
  requestId,
  runId,
  config: runConfigSchema,
  /** The checkpoint the host saw: its step and values checksum, and the run folder holding it. */
  network: z.object({
    runDir: z.string().min(1).max(4096),
    step: z.number().int().nonnegative(),
    checksum: z.string().regex(/^[0-9a-f]{8}$/),
  }),
  draws: z.number().int().positive(),
  seed: z.number().int(),
  /** Interactive requests (a dropped image) go before batch ones (an evaluation) between steps. */
  priority: z.enum(['interactive', 'batch']),
  /**
   * Threads that may share a batch request's posterior draws (the worker's own and N − 1 helpers,
   * evaluationPool.ts), used while no run trains and only on the wasm and cpu backends; 1 by default.
   */
  workers: z.number().int().min(1).max(16).optional(),
  sets: z.array(oodImageSetSchema).min(1).max(16),
});
export type OodRequestMessage = z.infer<typeof oodRequestMessageSchema>;

export const hostToWorkerMessageSchema = z.discriminatedUnion('type', [
  startRunMessageSchema,
  stopRunMessageSchema,
  pauseRunMessageSchema,
  resumeRunMessageSchema,
  oodRequestMessageSchema,
]);
export type HostToWorkerMessage = z.infer<typeof hostToWorkerMessageSchema>;
export type StartRunMessage = z.infer<typeof startRunMessageSchema>;

/** Worker → host: one event of the run, stamped with runId and time. */
export const runEventMessageSchema = z.object({ type: z.literal('event'), event: runEventSchema });

/** Worker → host: the run's training state after `manifest.step` steps, to store as its checkpoint. */
export const runCheckpointMessageSchema = z.object({
  type: z.literal('checkpoint'),
  runId,
  checkpoint: serializedCheckpointSchema,
});

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

/** Worker → host: the answer to an `ood` request: each set's probabilities, draw-major [T, N, C]. */
export const oodReplyMessageSchema = z.object({
  type: z.literal('oodReply'),
  requestId,
  ok: z.boolean(),
  error: z.string().optional(),
  backend: z.string().optional(),
  /** The step of the checkpoint that classified (newer than asked if it was replaced meanwhile). */
  checkpointStep: z.number().int().nonnegative().optional(),
  sets: z
    .array(
      z.object({
        name: z.string(),
        count: z.number().int().nonnegative(),
        classes: z.number().int().positive(),
        probabilities: z.instanceof(Float32Array),
        labels: z.instanceof(Uint8Array).optional(),
      }),
    )
    .optional(),
  /** Where the request's time went in the worker (benchmarks print it). */
  timings: z
    .object({
      /** Waiting in the queue before the first pass, ms. */
      queuedMs: z.number().nonnegative(),
      /** Rebuilding (or reading) the network, ms. */
      networkMs: z.number().nonnegative(),
      /** Making the sets: loading held-out images, shifting them, ms. */
      setsMs: z.number().nonnegative(),
      /** Starting helper threads, ms. */
      helpersStartMs: z.number().nonnegative(),
      /** The worker thread's own forward passes, ms. */
      localMs: z.number().nonnegative(),
      /** Waiting for the helpers' last draws, ms. */
      waitMs: z.number().nonnegative(),
      localDraws: z.number().int().nonnegative(),
      helperDraws: z.number().int().nonnegative(),
      retriedDraws: z.number().int().nonnegative(),
      helpers: z.number().int().nonnegative(),
    })
    .optional(),
});
export type OodReplyMessage = z.infer<typeof oodReplyMessageSchema>;

export const workerToHostMessageSchema = z.discriminatedUnion('type', [
  oodReplyMessageSchema,
  runEventMessageSchema,
  runCheckpointMessageSchema,
  runDoneMessageSchema,
  workerErrorMessageSchema,
]);
export type WorkerToHostMessage = z.infer<typeof workerToHostMessageSchema>;
export type RunDoneMessage = z.infer<typeof runDoneMessageSchema>;
export type SerializedCheckpointMessage = z.infer<typeof serializedCheckpointSchema>;

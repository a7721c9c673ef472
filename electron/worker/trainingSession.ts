/**
 * The training worker's behaviour, whatever runs it: receive `start`/`stop`/`pause`/`resume`, pick
 * the backend, call the experiment (from a checkpoint when the host sends one), stamp and validate
 * its events, pass its checkpoints to the host, report status and the end of the run.
 *
 * Free of Node: the same code serves the Node worker thread (./trainingWorkerRuntime.ts, with
 * Node's backend choice and the classification service) and the Web Worker of the desktop app's
 * GPU window (electron/gpuWindow/, with Chromium's WebGPU). What differs between them is passed in
 * as a `WorkerPlatform`.
 */
import type { ExperimentEnvironment, ExperimentHooks, ExperimentTrainer } from '../../core/experiments/trainer';
import type { ExperimentEvent, RunEvent, StatusEvent } from '../../core/contract/runEvent';
import { runEventSchema } from '../../core/contract/runEvent';
import type { RunConfig } from '../../core/contract/runConfig';
import { runBudgetProblems } from '../../core/experiments/budgets';
import { deserializeCheckpoint, serializeCheckpoint } from '../../core/training/checkpoint';
import { TrainingDivergedError } from '../../core/training/trainingLoop';
import type { BackendInfo } from '../../core/contract/runEvent';
import type { NamedValues } from '../../core/training/checkpoint';
import * as tf from '@tensorflow/tfjs-core';
import {
  hostToWorkerMessageSchema,
  type OodReplyMessage,
  type OodRequestMessage,
  type RunDoneMessage,
  type StartRunMessage,
  type WorkerToHostMessage,
} from './messages';
import { endPoisonedWorker, isWasmAbort, nextMacrotask, wasmAbortReason } from './wasmAbort';

export class TrainingWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingWorkerError';
  }
}

/** The part of a MessagePort the runtime uses (node:worker_threads' parentPort in production). */
export interface HostPort {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  /** `transfer`: buffers handed over rather than copied (a checkpoint's values). */
  postMessage(message: WorkerToHostMessage, transfer?: ArrayBuffer[]): void;
}

export type ExperimentRegistry = Readonly<Record<string, ExperimentTrainer>>;

/** The classification service a worker runs beside training (./oodServer.ts in the Node worker). */
export interface RequestServer {
  accept(message: OodRequestMessage): void;
  /** Serves what is queued now (the worker is idle or paused). */
  pump(): Promise<unknown>;
  /** Serves queued requests at a yield point, within a share of `trainedMs`. */
  serveBetweenSteps(trainedMs: number): Promise<void>;
  rememberTrainedCheckpoint(runId: string, step: number, checksum: string, variables: NamedValues[]): void;
}

export interface RequestServerOptions {
  post(reply: OodReplyMessage, transfer: ArrayBuffer[]): void;
  environment: ExperimentEnvironment;
  /** True while a run trains and is not paused: requests then wait for its yield points. */
  isTraining(): boolean;
  /** Makes a backend active if none is (serialised with the runs' own backend selection). */
  ensureBackend(): Promise<string>;
}

/** What the process running the worker provides. */
export interface WorkerPlatform {
  /** Makes the run's backend choice (or the best available, for `auto`) the active tfjs backend. */
  selectBackend(choice: RunConfig['backend']): Promise<BackendInfo>;
  createRequestServer(options: RequestServerOptions): RequestServer;
}

interface ActiveRun {
  runId: string;
  stopRequested: boolean;
  /** The training loop saw the stop before a step and ended there (a stop that arrives during the last step or the final evaluation is too late: the run completes). */
  stoppedEarly: boolean;
  pauseRequested: boolean;
  /** Why, when the pause is not the user's (the queue worker's backlog). */
  pauseReason?: string;
  /** Wakes a paused run to look at its flags again. */
  wake: (() => void) | null;
  step: number;
  /** When the run last came back from its yield point: what it trained since is the service budget. */
  lastYieldEnd: number;
}

/** Serves runs, one at a time, on `port` until the worker is terminated. */
export function serveTrainingSession(
  port: HostPort,
  experiments: ExperimentRegistry,
  environment: ExperimentEnvironment,
  platform: WorkerPlatform,
): RequestServer {
  let active: ActiveRun | null = null;
  // Backend selections (a run's, the classification service's) one after the other, so a request
  // served while idle never switches the backend under a run that has just chosen its own.
  let backendChain: Promise<unknown> = Promise.resolve();
  const inOrder = <T>(task: () => Promise<T>): Promise<T> => {
    const next = backendChain.then(task);
    backendChain = next.catch(() => undefined);
    return next;
  };
  const selectRunBackend = (choice: RunConfig['backend']) => inOrder(() => platform.selectBackend(choice));
  const ood = platform.createRequestServer({
    post: (reply, transfer) => port.postMessage(reply, transfer),
    environment,
    isTraining: () => active !== null && !active.pauseRequested,
    // tfjs has no active backend until a run (or this) picks one; then whatever is active serves.
    ensureBackend: () =>
      inOrder(async () => (tf.engine().backendName ? tf.getBackend() : (await platform.selectBackend('auto')).name)),
  });

  port.on('message', (raw) => {
    const parsed = hostToWorkerMessageSchema.safeParse(raw);
    if (!parsed.success) {
      port.postMessage({
        type: 'error',
        message: `The training worker received a message it does not understand: ${describeIssues(parsed.error.issues)}.`,
      });
      return;
    }
    const message = parsed.data;
    if (message.type === 'ood') {
      ood.accept(message);
      return;
    }
    if (message.type !== 'start') {
      // A message for a run that already ended crossed its `done` on the way; nothing to do.
      if (active?.runId !== message.runId) return;
      if (message.type === 'stop') active.stopRequested = true;
      active.pauseRequested = message.type === 'pause';
      active.pauseReason = message.type === 'pause' ? message.reason : undefined;
      active.wake?.();
      // A paused run serves requests at once, like an idle worker.
      if (active.pauseRequested) void ood.pump();
      return;
    }
    if (active) {
      port.postMessage({
        type: 'error',
        message: `The training worker was asked to start run "${message.runId}" while run "${active.runId}" is still training; the host must queue runs.`,
      });
      return;
    }
    active = {
      runId: message.runId,
      stopRequested: false,
      stoppedEarly: false,
      pauseRequested: false,
      wake: null,
      step: 0,
      lastYieldEnd: performance.now(),
    };
    const run = active;
    void trainRun(port, experiments, environment, message, run, { selectBackend: selectRunBackend, ood }).finally(
      () => {
        active = null;
        void ood.pump(); // requests that waited for yield points of a run that has ended
      },
    );
  });
  return ood;
}

interface RunServices {
  selectBackend(choice: RunConfig['backend']): Promise<BackendInfo>;
  ood: RequestServer;
}

async function trainRun(
  port: HostPort,
  experiments: ExperimentRegistry,
  environment: ExperimentEnvironment,
  message: StartRunMessage,
  run: ActiveRun,
  services: RunServices,
): Promise<void> {
  const { runId, config } = message;
  const startedAt = Date.now();
  const post = (event: RunEvent) => port.postMessage({ type: 'event', event });
  const postStatus = (state: StatusEvent['state'], extra: Partial<StatusEvent> = {}) =>
    post({ type: 'status', runId, step: run.step, time: Date.now(), state, ...extra });
  const finish = (done: Omit<RunDoneMessage, 'type' | 'runId' | 'step'>) =>
    port.postMessage({ type: 'done', runId, step: run.step, ...done });

  try {
    const experiment = (experiments as Record<string, ExperimentTrainer | undefined>)[config.experiment];
    if (!experiment)
      throw new TrainingWorkerError(`The training worker has no experiment named "${config.experiment}".`);
    // Checked again here: whoever sent the run, a configuration over the limits must not take the worker down.
    const overBudget = runBudgetProblems(config);
    if (overBudget.length > 0) throw new TrainingWorkerError(overBudget.join(' '));
    const resume = message.checkpoint
      ? deserializeCheckpoint(message.checkpoint.manifest, message.checkpoint.values)
      : undefined;
    run.step = resume?.step ?? 0;
    const backend = withBackendNotes(await services.selectBackend(config.backend), message.backendNotes);
    const continuing = resume ? `, continuing from the checkpoint at step ${resume.step}` : '';
    postStatus('running', {
      backend,
      message: `Training on the ${backend.name} backend (${backend.device})${continuing}.`,
    });

    const hooks: ExperimentHooks = {
      emit(event: ExperimentEvent) {
        const memory = event.type === 'metrics' ? { memory: workerMemory() } : {};
        const stamped = runEventSchema.safeParse({ ...event, ...memory, runId, time: Date.now() });
        if (!stamped.success) {
          throw new TrainingWorkerError(
            `Experiment "${config.experiment}" emitted an invalid "${event.type}" event at step ${event.step}: ${describeIssues(stamped.error.issues)}.`,
          );
        }
        run.step = Math.max(run.step, stamped.data.step);
        post(stamped.data);
      },
      shouldStop: () => {
        if (run.stopRequested) run.stoppedEarly = true;
        return run.stopRequested;
      },
      // A macrotask runs after pending messages are delivered, so a `stop` or `pause` is seen first.
      // A paused run waits here, between two steps, until it is resumed or stopped.
      async yieldToHost() {
        await nextMacrotask();
        // Classification requests queued for this run's yield points, within their time share.
        await services.ood.serveBetweenSteps(performance.now() - run.lastYieldEnd);
        run.lastYieldEnd = performance.now();
        if (!run.pauseRequested || run.stopRequested) return;
        postStatus('paused', {
          message: run.pauseReason ? `Paused at step ${run.step}: ${run.pauseReason}` : `Paused at step ${run.step}.`,
        });
        while (run.pauseRequested && !run.stopRequested) await new Promise<void>((resolve) => (run.wake = resolve));
        run.wake = null;
        run.lastYieldEnd = performance.now();
        if (!run.stopRequested) postStatus('running', { backend, message: `Resumed at step ${run.step}.` });
      },
      checkpoint(state) {
        const { manifest, values } = serializeCheckpoint(state);
        // Classification of this step is served from these variables, not read back from disk.
        services.ood.rememberTrainedCheckpoint(runId, manifest.step, manifest.valueChecksum, state.variables);
        port.postMessage({ type: 'checkpoint', runId, checkpoint: { manifest, values } }, [values.buffer]);
      },
      ...(message.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: message.checkpointIntervalMs } : {}),
    };
    const summary = await experiment.run(config, hooks, environment, resume);
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    if (run.stoppedEarly) {
      const message = `Stopped at step ${run.step} after ${seconds} s.`;
      postStatus('stopped', { message });
      finish({ state: 'stopped', summary, message });
    } else {
      const message = `Completed ${run.step} steps in ${seconds} s.`;
      postStatus('completed', { message });
      finish({ state: 'completed', summary, message });
    }
  } catch (error) {
    if (isWasmAbort(error)) {
      // No `done`: this thread ends, the host fails the run with this reason and replaces the worker.
      endPoisonedWorker(`Run "${runId}" failed at step ${run.step}: ${wasmAbortReason(error)}`);
      return;
    }
    const reason = error instanceof Error ? error.message : String(error);
    // A divergence names its own step; "failed at step 0" would read as if nothing had started.
    const failure =
      error instanceof TrainingDivergedError
        ? `Run "${runId}" failed: ${reason}`
        : `Run "${runId}" failed at step ${run.step}: ${reason}`;
    postStatus('failed', { message: failure });
    finish({ state: 'failed', message: failure });
  }
}

/** tf.memory() as a metrics event carries it (numBytesInGPU exists on GPU backends only). */
function workerMemory(): { tensors: number; bytes: number; gpuBytes?: number } {
  const memory = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  return {
    tensors: memory.numTensors,
    bytes: memory.numBytes,
    ...(memory.numBytesInGPU !== undefined ? { gpuBytes: memory.numBytesInGPU } : {}),
  };
}

/** The run's backend with the host's notes among the skipped ones, each after the worker's own reasons for the same backend. */
function withBackendNotes(backend: BackendInfo, notes: StartRunMessage['backendNotes']): BackendInfo {
  if (!notes?.length) return backend;
  const skipped = [...backend.skipped];
  for (const note of notes) {
    const last = skipped.findLastIndex((skip) => skip.name === note.name);
    skipped.splice(last >= 0 ? last + 1 : skipped.length, 0, note);
  }
  return { ...backend, skipped };
}

function describeIssues(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

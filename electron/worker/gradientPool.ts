/**
 * The helper threads of data-parallel training (core/training/gradientPool.ts is the contract).
 * Everything a step needs crosses threads through SharedArrayBuffers (core/training/sharedStepMemory.ts):
 * the batch, the parameters, Adam's moments, one gradient region per thread, and a control array
 * whose counters the trainer bumps to publish a step. A helper waiting for steps is woken by
 * `Atomics.notify`; one serving messages (evaluation draws) gets a `wake` message.
 * A helper that dies (killed, out of memory, a wasm abort) rejects the step in progress and every
 * later one with a message naming it; the trainer then fails the run, and the checkpoints already
 * stored are untouched because a checkpoint is only ever written after a complete step.
 */
import type { Worker } from 'node:worker_threads';
import { PIXELS_PER_IMAGE } from '../../core/data/dataset';
import type { DrawRequest, GradientPool, GradientPoolSpec } from '../../core/training/gradientPool';
import {
  allocateSharedStepBuffers,
  CONTROL,
  helperStateWord,
  messagesPostedWord,
  SharedStepMemory,
} from '../../core/training/sharedStepMemory';
import { spawnWorker } from '../host/trainingWorker';
import type { HelperReply, HelperRequest } from './gradientMessages';
import { watchHelper, type HelperThread } from './helperThread';

export class GradientPoolError extends Error {
  override name = 'GradientPoolError';
}

/** Where the helper entry lives: beside this source under tsx/vitest, beside the bundle when built. */
export function gradientWorkerUrl(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('./gradientWorker.ts', import.meta.url)
    : new URL('./gradientWorker.js', import.meta.url);
}

type Helper = HelperThread;

export class WorkerGradientPool implements GradientPool {
  private lost: GradientPoolError | undefined;
  private closing = false;
  private constructor(
    private readonly helperThreads: Helper[],
    readonly memory: SharedStepMemory,
  ) {}

  /** Starts `spec.helpers` threads and waits until each has its backend and replica. */
  static async start(spec: GradientPoolSpec, entry: URL = gradientWorkerUrl()): Promise<WorkerGradientPool> {
    const buffers = allocateSharedStepBuffers(spec.helpers + 1, spec.variableSizes, PIXELS_PER_IMAGE, spec.maxBatch);
    const helpers: Helper[] = Array.from({ length: spec.helpers }, () => ({ worker: spawnWorker(entry), tensors: 0 }));
    const pool = new WorkerGradientPool(helpers, new SharedStepMemory(buffers));
    helpers.forEach((helper, index) => pool.watch(helper, index));
    try {
      await Promise.all(
        helpers.map((_, helperIndex) => pool.request(helperIndex, { type: 'init', spec, helperIndex, buffers })),
      );
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get helpers(): number {
    return this.helperThreads.length;
  }

  get failure(): Error | undefined {
    return this.lost;
  }

  /** Each helper's live tensor count after its last step or reply (it writes both to shared memory). */
  get helperTensorCounts(): number[] {
    return this.helperThreads.map((_, index) => this.memory.threadResult(index + 1).tensors);
  }

  /** The helpers' threads, for tests that end one abruptly. */
  get threads(): readonly Worker[] {
    return this.helperThreads.map((helper) => helper.worker);
  }

  setParameters(values: Float32Array[]): void {
    const views = this.memory.perVariable(this.memory.parameters);
    values.forEach((value, i) => {
      if (value.length !== views[i].length) {
        throw new GradientPoolError(
          `Parameter ${i} has ${value.length} values; the helpers expect ${views[i].length}.`,
        );
      }
      views[i].set(value);
    });
    Atomics.add(this.memory.control, CONTROL.parametersWritten, 1);
  }

  startStep(step: number): void {
    if (this.lost) throw this.lost;
    const control = this.memory.control;
    Atomics.store(control, CONTROL.step, step);
    Atomics.notify(control, CONTROL.step);
    // A helper serving messages is not watching the step word (it rechecks it on leaving, so one
    // of the two always sees the other).
    this.helperThreads.forEach((helper, index) => {
      if (Atomics.load(control, helperStateWord(index)) === 0) helper.worker.postMessage({ type: 'wake' });
    });
  }

  async drawProbabilities(helper: number, request: DrawRequest): Promise<Float32Array> {
    const reply = await this.request(helper, { type: 'draws', ...request });
    if (reply.type !== 'probabilities') {
      throw new GradientPoolError(`Gradient helper ${helper + 1} answered a request for draws with "${reply.type}".`);
    }
    return reply.values;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.helperThreads.map((helper) => helper.worker.terminate()));
  }

  private request(index: number, message: HelperRequest): Promise<HelperReply> {
    if (this.lost) return Promise.reject(this.lost);
    const helper = this.helperThreads[index];
    // A helper waiting for steps leaves its loop for a message once it sees the count grow.
    const control = this.memory.control;
    Atomics.add(control, messagesPostedWord(this.helperThreads.length + 1, index), 1);
    Atomics.notify(control, CONTROL.step);
    return new Promise<HelperReply>((resolve, reject) => {
      helper.pending = { resolve, reject };
      helper.worker.postMessage(message);
    });
  }

  private watch(helper: Helper, index: number): void {
    const name = `Gradient helper ${index + 1} of ${this.helperThreads.length}`;
    // A dead or failed helper ends data-parallel training: every step waiting on any helper is rejected.
    const end = (error: GradientPoolError) => {
      this.lost ??= error;
      this.memory.fail(index + 1);
      for (const other of this.helperThreads) {
        other.pending?.reject(this.lost);
        other.pending = undefined;
      }
    };
    watchHelper(helper, name, {
      makeError: (message) => new GradientPoolError(message),
      // A step taken from shared memory failed on this helper: training ends as for a death.
      onStrayError: (error) => end(error as GradientPoolError),
      isClosing: () => this.closing,
      onDeath: (reason) =>
        end(
          new GradientPoolError(
            `${name} ${reason}, so data-parallel training cannot go on; the run stops here and its last checkpoint is kept.`,
          ),
        ),
    });
  }
}

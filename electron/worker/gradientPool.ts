/**
 * The helper threads of data-parallel training (core/training/gradientPool.ts is the contract).
 * Parameters and gradients cross threads through SharedArrayBuffers — one for the parameters, one
 * region per helper for its gradient — so a step posts only the slice's pixels and a few numbers.
 * A helper that dies (killed, out of memory, a wasm abort) rejects the step in progress and every
 * later one with a message naming it; the trainer then fails the run, and the checkpoints already
 * stored are untouched because a checkpoint is only ever written after a complete step.
 */
import type { Worker } from 'node:worker_threads';
import type {
  DrawRequest,
  GradientPool,
  GradientPoolSpec,
  HelperGradients,
  HelperSlice,
  SeedStreamState,
} from '../../core/training/gradientPool';
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
  private failure: GradientPoolError | undefined;
  private closing = false;

  private constructor(
    private readonly helperThreads: Helper[],
    private readonly parameters: Float32Array,
    private readonly gradientRegions: Float32Array[],
    private readonly sizes: number[],
  ) {}

  /** Starts `spec.helpers` threads and waits until each has its backend and replica. */
  static async start(spec: GradientPoolSpec, entry: URL = gradientWorkerUrl()): Promise<WorkerGradientPool> {
    const total = spec.variableSizes.reduce((a, b) => a + b, 0);
    const parameterBuffer = new SharedArrayBuffer(total * 4);
    const gradientBuffer = new SharedArrayBuffer(total * 4 * spec.helpers);
    const helpers: Helper[] = Array.from({ length: spec.helpers }, () => ({ worker: spawnWorker(entry), tensors: 0 }));
    const pool = new WorkerGradientPool(
      helpers,
      new Float32Array(parameterBuffer),
      Array.from({ length: spec.helpers }, (_, i) => new Float32Array(gradientBuffer, i * total * 4, total)),
      spec.variableSizes,
    );
    helpers.forEach((helper, index) => pool.watch(helper, index));
    try {
      await Promise.all(
        helpers.map((_, helperIndex) =>
          pool.request(helperIndex, { type: 'init', spec, helperIndex, parameterBuffer, gradientBuffer }),
        ),
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

  /** Each helper's live tensor count after its last reply. */
  get helperTensorCounts(): number[] {
    return this.helperThreads.map((helper) => helper.tensors);
  }

  /** The helpers' threads, for tests that end one abruptly. */
  get threads(): readonly Worker[] {
    return this.helperThreads.map((helper) => helper.worker);
  }

  setParameters(values: Float32Array[]): void {
    let offset = 0;
    values.forEach((value, i) => {
      if (value.length !== this.sizes[i]) {
        throw new GradientPoolError(`Parameter ${i} has ${value.length} values; the helpers expect ${this.sizes[i]}.`);
      }
      this.parameters.set(value, offset);
      offset += value.length;
    });
  }

  async gradients(
    slices: HelperSlice[],
    fullSize: number,
    seeds: SeedStreamState,
    klWeight: number,
  ): Promise<HelperGradients> {
    if (slices.length !== this.helpers) {
      throw new GradientPoolError(
        `A step needs one slice per helper (${this.helpers}); it was given ${slices.length}.`,
      );
    }
    const replies = await Promise.all(
      slices.map((slice, i) => this.request(i, { type: 'step', ...slice, fullSize, seeds, klWeight })),
    );
    // The regions are summed here, in helper order, so the float32 rounding is the same every run.
    const summing = performance.now();
    const total = this.parameters.length;
    const sum = new Float32Array(total);
    for (const region of this.gradientRegions) for (let j = 0; j < total; j += 1) sum[j] += region[j];
    let offset = 0;
    const gradients = this.sizes.map((size) => {
      const view = sum.subarray(offset, offset + size);
      offset += size;
      return view;
    });
    let nllSum = 0;
    let correct = 0;
    let helperComputeMs = 0;
    for (const reply of replies) {
      if (reply.type === 'done') {
        nllSum += reply.nllSum;
        correct += reply.correct;
        helperComputeMs = Math.max(helperComputeMs, reply.computeMs);
      }
    }
    return { gradients, nllSum, correct, sumMs: performance.now() - summing, helperComputeMs };
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
    if (this.failure) return Promise.reject(this.failure);
    const helper = this.helperThreads[index];
    return new Promise<HelperReply>((resolve, reject) => {
      helper.pending = { resolve, reject };
      helper.worker.postMessage(message);
    });
  }

  private watch(helper: Helper, index: number): void {
    const name = `Gradient helper ${index + 1} of ${this.helperThreads.length}`;
    // A dead helper ends data-parallel training: every step waiting on any helper is rejected.
    watchHelper(helper, name, {
      makeError: (message) => new GradientPoolError(message),
      isClosing: () => this.closing,
      onDeath: (reason) => {
        this.failure ??= new GradientPoolError(
          `${name} ${reason}, so data-parallel training cannot go on; the run stops here and its last checkpoint is kept.`,
        );
        for (const other of this.helperThreads) {
          other.pending?.reject(this.failure);
          other.pending = undefined;
        }
      },
    });
  }
}

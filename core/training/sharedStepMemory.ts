/**
 * The shared memory of a data-parallel training step (issue 16), and the two pieces of work every
 * thread does on it: meeting the others at a barrier, and its shard of the Adam update.
 *
 * One step, on every thread at once (the trainer's thread is thread 0, helper k is thread k + 1):
 *   1. compute the gradient of its slice of the batch and write it into its own region;
 *   2. barrier `gradients`: every region is written;
 *   3. Adam on its own range of the parameters: the regions are summed per element (in thread
 *      order, so the rounding is the same every run) and the moments and parameters updated in place;
 *   4. barrier `shards`: every parameter is updated; each thread copies them into its own variables.
 * Nothing crosses threads by message during a step: the trainer announces it by bumping a counter
 * (`Atomics.notify` wakes a waiting helper in ≈ 0.1 ms, where a worker message took 1–5 ms here).
 *
 * The Adam update is tfjs's (optimizers/adam_optimizer.ts) operation by operation, each rounded to
 * float32 with Math.fround as the kernels round, so it gives the same bits as `tf.train.adam`
 * (test/core/training/sharedStepMemory.test.ts). Plain ECMAScript: this module runs in any thread.
 */

/** Words of the control array. Counters only grow, so a barrier needs no reset. */
export const CONTROL = {
  /** Number of the step the trainer has published (1, 2, …); helpers wait on this word. */
  step: 0,
  /** Threads that have written their gradient region, summed over every step so far. */
  gradients: 1,
  /** Threads that have finished their Adam shard, summed over every step so far. */
  shards: 2,
  /** Set (to thread + 1) by a thread that failed inside a step, so nobody waits for it. */
  failed: 3,
  /** Bumped whenever the trainer writes the parameters itself (not by a step): helpers reload them. */
  parametersWritten: 4,
  /** Per helper k at `helperState + k`: 1 while it waits for steps, 0 while it serves messages. */
  helperState: 8,
} as const;

const CONTROL_WORDS = 8;

/** Per helper k: 1 while it waits for steps, 0 while it serves messages. */
export const helperStateWord = (helper: number) => CONTROL.helperState + helper;
/**
 * Per helper k: the number of messages (other than wake-ups) posted to it. A helper waiting for
 * steps goes back to its messages once this exceeds the number it has taken.
 */
export const messagesPostedWord = (threads: number, helper: number) => CONTROL.helperState + threads + helper;

/** Per-thread scalars (float64) at `thread * THREAD_SCALARS`. */
const SCALAR = {
  nllSum: 0,
  correct: 1,
  /** The thread's milliseconds from taking the step to its gradient written (benchmarks). */
  computeMs: 2,
  /** The thread's live tensor count after the step (tests check it stays flat). */
  tensors: 3,
} as const;
const THREAD_SCALARS = 4;

/** The step's description, written by the trainer before it publishes the step. */
const STEP = {
  fullSize: 0,
  klWeight: 1,
  seed: 2,
  salt: 3,
  position: 4,
  learningRate: 5,
  beta1: 6,
  beta2: 7,
  epsilon: 8,
  accBeta1: 9,
  accBeta2: 10,
  /** Rows [start, start + rows) of each thread at `sliceBase + 2 · thread`. */
  sliceBase: 11,
} as const;

/** The buffers, as sent to each helper once at start-up. */
export interface SharedStepBuffers {
  threads: number;
  /** Element counts of the trainable variables, in the trainer's order. */
  variableSizes: number[];
  /** Largest batch the buffers hold. */
  maxBatch: number;
  control: SharedArrayBuffer;
  scalars: SharedArrayBuffer;
  /** Parameters, first and second Adam moments: three float32 arrays of every variable back to back. */
  parameters: SharedArrayBuffer;
  firstMoments: SharedArrayBuffer;
  secondMoments: SharedArrayBuffer;
  /** One gradient region per thread, each the size of the parameters. */
  gradients: SharedArrayBuffer;
  images: SharedArrayBuffer;
  labels: SharedArrayBuffer;
}

export interface AdamHyperparameters {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** β1^t and β2^t of this update (tfjs's accBeta1 / accBeta2, float32). */
  accBeta1: number;
  accBeta2: number;
}

export interface StepDescription {
  fullSize: number;
  klWeight: number;
  seeds: { seed: number; salt: number; position: number };
  adam: AdamHyperparameters;
  slices: { start: number; rows: number }[];
}

/** A barrier wait gave up: another thread failed, or `give up` said so. */
export class SharedStepAborted extends Error {
  override name = 'SharedStepAborted';
}

const fround = Math.fround;

export function allocateSharedStepBuffers(
  threads: number,
  variableSizes: number[],
  pixels: number,
  maxBatch: number,
): SharedStepBuffers {
  const total = variableSizes.reduce((a, b) => a + b, 0);
  const floats = (count: number) => new SharedArrayBuffer(count * 4);
  return {
    threads,
    variableSizes,
    maxBatch,
    control: new SharedArrayBuffer((CONTROL_WORDS + 2 * threads) * 4),
    scalars: new SharedArrayBuffer((threads * THREAD_SCALARS + STEP.sliceBase + 2 * threads + 8) * 8),
    parameters: floats(total),
    firstMoments: floats(total),
    secondMoments: floats(total),
    gradients: floats(total * threads),
    images: floats(maxBatch * pixels),
    labels: new SharedArrayBuffer(maxBatch * 4),
  };
}

/** Contiguous ranges, as equal as possible, one per part. */
export function evenRanges(size: number, parts: number): { start: number; rows: number }[] {
  return Array.from({ length: parts }, (_, i) => {
    const start = Math.floor((i * size) / parts);
    return { start, rows: Math.floor(((i + 1) * size) / parts) - start };
  });
}

export class SharedStepMemory {
  readonly threads: number;
  readonly total: number;
  readonly control: Int32Array;
  readonly parameters: Float32Array;
  readonly firstMoments: Float32Array;
  readonly secondMoments: Float32Array;
  readonly images: Float32Array;
  readonly labels: Int32Array;
  private readonly scalars: Float64Array;
  private readonly regions: Float32Array[];
  /** Each thread's range of the parameters for the Adam update. */
  private readonly shards: { start: number; rows: number }[];

  constructor(readonly buffers: SharedStepBuffers) {
    this.threads = buffers.threads;
    this.total = buffers.variableSizes.reduce((a, b) => a + b, 0);
    this.control = new Int32Array(buffers.control);
    this.scalars = new Float64Array(buffers.scalars);
    this.parameters = new Float32Array(buffers.parameters);
    this.firstMoments = new Float32Array(buffers.firstMoments);
    this.secondMoments = new Float32Array(buffers.secondMoments);
    this.regions = Array.from(
      { length: this.threads },
      (_, k) => new Float32Array(buffers.gradients, k * this.total * 4, this.total),
    );
    this.images = new Float32Array(buffers.images);
    this.labels = new Int32Array(buffers.labels);
    this.shards = evenRanges(this.total, this.threads);
  }

  /** Views of `array` per variable, in the trainer's order. */
  perVariable(array: Float32Array): Float32Array[] {
    let offset = 0;
    return this.buffers.variableSizes.map((size) => {
      const view = array.subarray(offset, offset + size);
      offset += size;
      return view;
    });
  }

  region(thread: number): Float32Array {
    return this.regions[thread];
  }

  writeStep(step: StepDescription): void {
    const s = this.scalars;
    const base = this.threads * THREAD_SCALARS;
    s[base + STEP.fullSize] = step.fullSize;
    s[base + STEP.klWeight] = step.klWeight;
    s[base + STEP.seed] = step.seeds.seed;
    s[base + STEP.salt] = step.seeds.salt;
    s[base + STEP.position] = step.seeds.position;
    s[base + STEP.learningRate] = step.adam.learningRate;
    s[base + STEP.beta1] = step.adam.beta1;
    s[base + STEP.beta2] = step.adam.beta2;
    s[base + STEP.epsilon] = step.adam.epsilon;
    s[base + STEP.accBeta1] = step.adam.accBeta1;
    s[base + STEP.accBeta2] = step.adam.accBeta2;
    step.slices.forEach(({ start, rows }, thread) => {
      s[base + STEP.sliceBase + 2 * thread] = start;
      s[base + STEP.sliceBase + 2 * thread + 1] = rows;
    });
  }

  readStep(): StepDescription {
    const s = this.scalars;
    const base = this.threads * THREAD_SCALARS;
    return {
      fullSize: s[base + STEP.fullSize],
      klWeight: s[base + STEP.klWeight],
      seeds: { seed: s[base + STEP.seed], salt: s[base + STEP.salt], position: s[base + STEP.position] },
      adam: {
        learningRate: s[base + STEP.learningRate],
        beta1: s[base + STEP.beta1],
        beta2: s[base + STEP.beta2],
        epsilon: s[base + STEP.epsilon],
        accBeta1: s[base + STEP.accBeta1],
        accBeta2: s[base + STEP.accBeta2],
      },
      slices: Array.from({ length: this.threads }, (_, thread) => ({
        start: s[base + STEP.sliceBase + 2 * thread],
        rows: s[base + STEP.sliceBase + 2 * thread + 1],
      })),
    };
  }

  /** A thread's results of its slice (written before it arrives at the `gradients` barrier). */
  writeThreadResult(thread: number, result: { nllSum: number; correct: number; computeMs: number; tensors: number }) {
    const at = thread * THREAD_SCALARS;
    this.scalars[at + SCALAR.nllSum] = result.nllSum;
    this.scalars[at + SCALAR.correct] = result.correct;
    this.scalars[at + SCALAR.computeMs] = result.computeMs;
    this.scalars[at + SCALAR.tensors] = result.tensors;
  }

  /** A thread's live tensor count, on its own (a helper's reply to a message). */
  writeTensors(thread: number, tensors: number): void {
    this.scalars[thread * THREAD_SCALARS + SCALAR.tensors] = tensors;
  }

  threadResult(thread: number): { nllSum: number; correct: number; computeMs: number; tensors: number } {
    const at = thread * THREAD_SCALARS;
    return {
      nllSum: this.scalars[at + SCALAR.nllSum],
      correct: this.scalars[at + SCALAR.correct],
      computeMs: this.scalars[at + SCALAR.computeMs],
      tensors: this.scalars[at + SCALAR.tensors],
    };
  }

  /** Adds one arrival to barrier word `word` and wakes the threads waiting on it. */
  arrive(word: number): number {
    const count = Atomics.add(this.control, word, 1) + 1;
    Atomics.notify(this.control, word);
    return count;
  }

  /**
   * Blocks until barrier word `word` reaches `target`, at most `timeoutMs`; false on timeout.
   * Throws SharedStepAborted once a thread has reported a failure.
   */
  waitFor(word: number, target: number, timeoutMs: number): boolean {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const now = Atomics.load(this.control, word);
      if (now >= target) return true;
      const failed = Atomics.load(this.control, CONTROL.failed);
      if (failed !== 0) throw new SharedStepAborted(`Thread ${failed - 1} of the data-parallel step failed.`);
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.control, word, now, left);
    }
  }

  /** Marks the step failed by `thread` and wakes everyone waiting at a barrier. */
  fail(thread: number): void {
    Atomics.compareExchange(this.control, CONTROL.failed, 0, thread + 1);
    for (const word of [CONTROL.step, CONTROL.gradients, CONTROL.shards]) Atomics.notify(this.control, word);
  }

  /**
   * Thread `thread`'s share of the Adam update: for each parameter of its range, the gradient is the
   * regions summed as the one-optimizer step summed them (trainer's region + the helpers' sum), then
   * tfjs's Adam, every operation rounded to float32.
   */
  adamShard(thread: number, adam: AdamHyperparameters): void {
    const { start, rows } = this.shards[thread];
    const end = start + rows;
    const p = this.parameters;
    const m = this.firstMoments;
    const v = this.secondMoments;
    const own = this.regions[0];
    const helpers = this.regions.slice(1);
    const helperCount = helpers.length;
    // N = 2, the common case, without the inner loop (0.82 against 1.32 ms for 61,706 numbers here):
    // the same bits, as fround(0 + r) is r for a float32 r.
    const single = helperCount === 1 ? helpers[0] : null;
    const beta1 = fround(adam.beta1);
    const beta2 = fround(adam.beta2);
    const oneMinusBeta1 = fround(1 - adam.beta1);
    const oneMinusBeta2 = fround(1 - adam.beta2);
    const oneMinusAccBeta1 = fround(1 - fround(adam.accBeta1));
    const oneMinusAccBeta2 = fround(1 - fround(adam.accBeta2));
    const epsilon = fround(adam.epsilon);
    const step = fround(-adam.learningRate);
    for (let j = start; j < end; j += 1) {
      let g: number;
      if (single !== null) g = fround(own[j] + single[j]);
      else if (helperCount === 0) g = own[j];
      else {
        let helperSum = 0;
        for (let k = 0; k < helperCount; k += 1) helperSum = fround(helperSum + helpers[k][j]);
        g = fround(own[j] + helperSum);
      }
      const m1 = fround(fround(m[j] * beta1) + fround(g * oneMinusBeta1));
      const v1 = fround(fround(v[j] * beta2) + fround(fround(g * g) * oneMinusBeta2));
      m[j] = m1;
      v[j] = v1;
      const mHat = fround(m1 / oneMinusAccBeta1);
      const vHat = fround(v1 / oneMinusAccBeta2);
      p[j] = fround(fround(fround(mHat / fround(fround(Math.sqrt(vHat)) + epsilon)) * step) + p[j]);
    }
  }
}

/** tfjs's update of β^t after a step (accBeta ← accBeta · β, in float32). */
export function nextAccBeta(accBeta: number, beta: number): number {
  return fround(fround(accBeta) * fround(beta));
}

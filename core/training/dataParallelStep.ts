/**
 * One data-parallel optimizer step of a classifier (issue 16). The batch is cut into contiguous
 * slices; the trainer's thread computes the first (with the KL term, so it is counted once) while
 * the pool's helpers compute the others, each writing its slice's gradient into shared memory. The
 * slice gradients sum to the gradient of the one-process loss `mean NLL + klWeight · ΣKL`
 * (training/sliceGradients.ts), and every thread then applies Adam to its own range of the
 * parameters, in place in shared memory (training/sharedStepMemory.ts: the same bits as
 * `tf.train.adam` on the summed gradient). Every slice replays the training seed stream from where
 * the step starts, and the stream then stands where one process would leave it, so a run's noise and
 * checkpoints do not depend on the worker count.
 *
 * While data-parallel training runs, Adam's moments live in shared memory and its step count and β
 * powers in `DataParallelState`; the tfjs optimizer holds them only when a checkpoint is taken
 * (`syncOptimizer`), and gives them back when the run starts or resumes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { takeScalars } from '../engine/readback';
import type { VariationalSequential } from '../models/variationalSequential';
import { SeedStream } from '../random/seedStream';
import type { GradientPool } from './gradientPool';
import {
  CONTROL,
  evenRanges,
  nextAccBeta,
  SharedStepAborted,
  type AdamHyperparameters,
  type SharedStepMemory,
} from './sharedStepMemory';
import { classifierSliceGradients } from './sliceGradients';
import { readAdamState, writeAdamState } from './trainingState';
import type { StepMetrics } from './trainingLoop';

export interface ClassifierBatch {
  /** `size` images of `pixelsPerImage` values each, row-major, and their labels. */
  images: Float32Array;
  labels: Int32Array | Uint8Array;
  size: number;
}

/** What the trainer keeps between data-parallel steps of one pool. */
export interface DataParallelState {
  /** Steps published to the pool so far (barrier counts are multiples of it). */
  published: number;
  /** Adam's step count and β powers while its moments live in shared memory; undefined until loaded. */
  adam?: { iterations: number; accBeta1: number; accBeta2: number };
}

export function newDataParallelState(): DataParallelState {
  return { published: 0 };
}

export interface DataParallelStepArgs {
  pool: GradientPool;
  state: DataParallelState;
  network: VariationalSequential;
  variables: tf.Variable[];
  optimizer: tf.AdamOptimizer;
  batch: ClassifierBatch;
  /** Shape of one image, e.g. [28, 28, 1]. */
  imageShape: number[];
  seeds: SeedStream;
  klWeight: number;
  /** Where the step's time goes, added to (benchmarks: bench/parallelTraining.ts). */
  phases?: DataParallelPhases;
  /** The KL term's cost in rows for the split (benchmarks try others; default KL_TERM_ROWS). */
  klTermRows?: number;
}

/** Milliseconds of data-parallel steps by phase on the trainer's thread, summed over the steps given the same object. */
export interface DataParallelPhases {
  /** Writing the helpers' rows and the step's description to shared memory, and waking the helpers. */
  publishMs: number;
  /** This thread's slice: forward, backward (wasm compute) and writing its gradient to shared memory. */
  localComputeMs: number;
  /** Waiting at the gradients barrier for the slowest helper (its compute beyond this thread's, and the wake-up). */
  waitMs: number;
  /** This thread's shard of the Adam update (summing the regions included). */
  optimizerMs: number;
  /** Waiting at the shards barrier for the helpers' Adam shards. */
  shardWaitMs: number;
  /** Copying the updated parameters into this thread's variables. */
  assignMs: number;
  /** Not a part of the step's time: the slowest helper's own time for its slice (it runs beside localCompute). */
  helperComputeMs: number;
  steps: number;
}

export function emptyDataParallelPhases(): DataParallelPhases {
  return {
    publishMs: 0,
    localComputeMs: 0,
    waitMs: 0,
    optimizerMs: 0,
    shardWaitMs: 0,
    assignMs: 0,
    helperComputeMs: 0,
    steps: 0,
  };
}

/**
 * What the KL term costs the thread that computes it, in rows of the batch: its weight-space work is
 * the same whatever the slice (measured on LeNet5 Flipout, wasm: ≈ 4.6 ms of a 64-row slice's 47,
 * while a row costs ≈ 0.7 ms with both cores busy). The trainer's slice is that much smaller, so the
 * threads reach the gradients barrier together (bench/parallelTraining.ts: at N = 2 and a batch of
 * 128, 61 + 67 rows).
 */
export const KL_TERM_ROWS = 6;

/**
 * Contiguous row ranges, one per thread, the first the trainer's: as equal as possible once the
 * trainer's KL term is counted as KL_TERM_ROWS rows (evenly when that would leave it no row). The
 * split depends only on (size, parts), so a run stays reproducible for a given worker count.
 */
export function sliceBounds(size: number, parts: number, klTermRows = KL_TERM_ROWS): { start: number; rows: number }[] {
  if (parts === 1) return evenRanges(size, parts);
  const weighted = evenRanges(size + klTermRows, parts);
  if (weighted[0].rows - klTermRows < 1) return evenRanges(size, parts);
  return weighted.map(({ start, rows }, i) =>
    i === 0 ? { start: 0, rows: rows - klTermRows } : { start: start - klTermRows, rows },
  );
}

/** Reads every variable's values (the helpers' copy of the parameters). */
export async function variableValues(variables: tf.Variable[]): Promise<Float32Array[]> {
  return Promise.all(variables.map(async (variable) => (await variable.data()) as Float32Array));
}

/** Copies the shared parameters into `variables` (a copy: a tfjs tensor may keep the array it is given). */
export function assignSharedParameters(memory: SharedStepMemory, variables: tf.Variable[]): void {
  memory.perVariable(memory.parameters).forEach((values, i) => {
    const value = tf.tensor(values.slice(), variables[i].shape, 'float32');
    variables[i].assign(value);
    value.dispose();
  });
}

/** Writes a slice's gradients into thread `thread`'s region. */
function writeGradients(memory: SharedStepMemory, thread: number, gradients: tf.Tensor[]): void {
  const region = memory.perVariable(memory.region(thread));
  gradients.forEach((gradient, i) => region[i].set(gradient.dataSync() as Float32Array));
}

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * The trainer waits at a barrier without losing sight of its helpers: it blocks in slices of
 * 25 ms, and between them lets the event loop deliver a helper's death or error.
 */
async function trainerWait(pool: GradientPool, word: number, target: number): Promise<void> {
  for (;;) {
    try {
      if (pool.memory.waitFor(word, target, 25)) return;
    } catch (error) {
      if (!(error instanceof SharedStepAborted)) throw error;
      // A helper failed inside the step; its message follows by the event loop.
      for (let turn = 0; turn < 100 && !pool.failure; turn += 1) await macrotask();
      throw pool.failure ?? error;
    }
    await macrotask();
    if (pool.failure) throw pool.failure;
  }
}

/** Puts the parameters and Adam's state into shared memory (the run starts or resumes). */
async function loadSharedState(
  pool: GradientPool,
  state: DataParallelState,
  variables: tf.Variable[],
  optimizer: tf.AdamOptimizer,
): Promise<void> {
  pool.setParameters(await variableValues(variables));
  const adam = await readAdamState(optimizer, variables);
  const { memory } = pool;
  const first = memory.perVariable(memory.firstMoments);
  const second = memory.perVariable(memory.secondMoments);
  variables.forEach((variable, i) => {
    first[i].set(adam.firstMoments.get(variable)!);
    second[i].set(adam.secondMoments.get(variable)!);
  });
  state.adam = { iterations: adam.iterations, accBeta1: adam.accBeta1, accBeta2: adam.accBeta2 };
  // The optimizer makes its moment variables now, not at the first checkpoint: tensor counts stay flat.
  await writeAdamState(optimizer, adam);
}

/** Gives the tfjs optimizer Adam's state from shared memory (before a checkpoint is taken from it). */
export async function syncOptimizer(
  pool: GradientPool,
  state: DataParallelState,
  variables: tf.Variable[],
  optimizer: tf.AdamOptimizer,
): Promise<void> {
  if (!state.adam) return; // no step yet: the optimizer's own state is the state
  const { memory } = pool;
  const first = memory.perVariable(memory.firstMoments);
  const second = memory.perVariable(memory.secondMoments);
  await writeAdamState(optimizer, {
    ...state.adam,
    firstMoments: new Map(variables.map((variable, i) => [variable, first[i].slice()])),
    secondMoments: new Map(variables.map((variable, i) => [variable, second[i].slice()])),
  });
}

function adamHyperparameters(
  optimizer: tf.AdamOptimizer,
  adam: NonNullable<DataParallelState['adam']>,
): AdamHyperparameters {
  // tfjs keeps these protected; a schedule sets `learningRate` before every step.
  const hyper = optimizer as unknown as { learningRate: number; beta1: number; beta2: number; epsilon: number };
  return {
    learningRate: hyper.learningRate,
    beta1: hyper.beta1,
    beta2: hyper.beta2,
    epsilon: hyper.epsilon,
    accBeta1: adam.accBeta1,
    accBeta2: adam.accBeta2,
  };
}

export async function dataParallelStep(args: DataParallelStepArgs): Promise<StepMetrics> {
  const { pool, state, network, variables, optimizer, batch, imageShape, seeds, klWeight } = args;
  const phases = args.phases ?? emptyDataParallelPhases();
  if (pool.failure) throw pool.failure;
  const { memory } = pool;
  const threads = pool.helpers + 1;
  if (!state.adam) await loadSharedState(pool, state, variables, optimizer);
  const adamState = state.adam!;
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const elapsed = now - mark;
    mark = now;
    return elapsed;
  };
  const pixels = imageShape.reduce((a, b) => a * b, 1);
  if (batch.size > memory.buffers.maxBatch) {
    throw new Error(
      `A batch of ${batch.size} is larger than the ${memory.buffers.maxBatch} the helpers were started for.`,
    );
  }
  const slices = sliceBounds(batch.size, threads, args.klTermRows);
  const own = slices[0];
  const helperStart = slices[1].start;
  memory.images.set(batch.images.subarray(helperStart * pixels, batch.size * pixels), helperStart * pixels);
  memory.labels.set(batch.labels.subarray(helperStart, batch.size), helperStart);
  const adam = adamHyperparameters(optimizer, adamState);
  const startState = { seed: seeds.seed, salt: seeds.salt, position: seeds.position };
  memory.writeStep({ fullSize: batch.size, klWeight, seeds: startState, adam, slices });
  state.published += 1;
  const target = state.published * threads;
  pool.startStep(state.published);
  phases.publishMs += lap();

  const ownSeeds = new SeedStream(startState.seed, startState.salt);
  ownSeeds.seek(startState.position);
  const images = tf.tensor4d(batch.images.subarray(0, own.rows * pixels), [own.rows, ...imageShape] as never);
  const labels = tf.tensor1d(Int32Array.from(batch.labels.subarray(0, own.rows)), 'int32');
  let local: ReturnType<typeof classifierSliceGradients> | undefined;
  try {
    local = classifierSliceGradients({
      network,
      images,
      labels,
      slice: { start: own.start, fullSize: batch.size },
      seeds: ownSeeds,
      klWeight,
      includeKl: true,
      variables,
    });
    writeGradients(memory, 0, local.gradients);
    phases.localComputeMs += lap();
    memory.arrive(CONTROL.gradients);
    await trainerWait(pool, CONTROL.gradients, target);
    phases.waitMs += lap();
    memory.adamShard(0, adam);
    phases.optimizerMs += lap();
    memory.arrive(CONTROL.shards);
    await trainerWait(pool, CONTROL.shards, target);
    phases.shardWaitMs += lap();
    assignSharedParameters(memory, variables);
    phases.assignMs += lap();
  } catch (error) {
    memory.fail(0); // no helper waits for a step this thread will not finish
    if (local) tf.dispose([local.nllSum, local.kl, local.correct]);
    throw error;
  } finally {
    images.dispose();
    labels.dispose();
    if (local) tf.dispose([...local.gradients, local.loss]);
  }
  state.adam = {
    iterations: adamState.iterations + 1,
    accBeta1: nextAccBeta(adamState.accBeta1, adam.beta1),
    accBeta2: nextAccBeta(adamState.accBeta2, adam.beta2),
  };
  seeds.seek(ownSeeds.position);
  // Read back (and disposed) here; the step's other tensors went above.
  const ownScalars = await takeScalars({ nllSum: local.nllSum, kl: local.kl, correct: local.correct });
  let { nllSum, correct } = ownScalars;
  let slowestHelperMs = 0;
  for (let helper = 1; helper < threads; helper += 1) {
    const result = memory.threadResult(helper);
    nllSum += result.nllSum;
    correct += result.correct;
    slowestHelperMs = Math.max(slowestHelperMs, result.computeMs);
  }
  phases.helperComputeMs += slowestHelperMs;
  phases.steps += 1;
  const nll = nllSum / batch.size;
  const { kl } = ownScalars;
  return { loss: nll + klWeight * kl, nll, kl, klWeight, accuracy: correct / batch.size };
}

/** A helper's network replica and where it stands in the pool's steps. */
export interface HelperReplica {
  network: VariationalSequential;
  variables: tf.Variable[];
  /** Pixels of one image and its shape. */
  imageShape: number[];
  /** The last step this helper took part in. */
  lastStep: number;
  /**
   * The `parametersWritten` count its variables were last loaded at; −1 forces a load. Steps keep
   * them equal to the shared parameters; only the trainer's own writes make them stale.
   */
  parametersSeen: number;
}

/** Loads the shared parameters into the replica if the trainer wrote them since it last did. */
export function loadSharedParametersIfStale(memory: SharedStepMemory, replica: HelperReplica): void {
  const written = Atomics.load(memory.control, CONTROL.parametersWritten);
  if (written === replica.parametersSeen) return;
  assignSharedParameters(memory, replica.variables);
  replica.parametersSeen = written;
}

/**
 * Helper thread `thread`'s part of step `step` (published by the trainer): its slice's gradient
 * (never the KL term), then its Adam shard, then the updated parameters into its variables.
 * Blocks at the barriers; throws SharedStepAborted if another thread fails meanwhile.
 */
export function helperStep(memory: SharedStepMemory, thread: number, step: number, replica: HelperReplica): void {
  const started = performance.now();
  const description = memory.readStep();
  loadSharedParametersIfStale(memory, replica);
  const { start, rows } = description.slices[thread];
  const pixels = replica.imageShape.reduce((a, b) => a * b, 1);
  const seeds = new SeedStream(description.seeds.seed, description.seeds.salt);
  seeds.seek(description.seeds.position);
  const images = tf.tensor4d(memory.images.slice(start * pixels, (start + rows) * pixels), [
    rows,
    ...replica.imageShape,
  ] as never);
  const labels = tf.tensor1d(memory.labels.slice(start, start + rows), 'int32');
  let result: ReturnType<typeof classifierSliceGradients> | undefined;
  let nllSum: number;
  let correct: number;
  try {
    result = classifierSliceGradients({
      network: replica.network,
      images,
      labels,
      slice: { start, fullSize: description.fullSize },
      seeds,
      klWeight: description.klWeight,
      includeKl: false,
      variables: replica.variables,
    });
    writeGradients(memory, thread, result.gradients);
    nllSum = result.nllSum.dataSync()[0];
    correct = result.correct.dataSync()[0];
  } finally {
    tf.dispose([images, labels]);
    if (result) tf.dispose([...result.gradients, result.loss, result.nllSum, result.kl, result.correct]);
  }
  memory.writeThreadResult(thread, {
    nllSum,
    correct,
    computeMs: performance.now() - started,
    tensors: tf.memory().numTensors,
  });
  const target = step * memory.threads;
  memory.arrive(CONTROL.gradients);
  helperWait(memory, CONTROL.gradients, target);
  memory.adamShard(thread, description.adam);
  memory.arrive(CONTROL.shards);
  helperWait(memory, CONTROL.shards, target);
  assignSharedParameters(memory, replica.variables);
  replica.lastStep = step;
}

/** A helper blocks at a barrier until everyone arrives or someone fails (it has no events to serve meanwhile). */
function helperWait(memory: SharedStepMemory, word: number, target: number): void {
  while (!memory.waitFor(word, target, 1000)) {
    // keep waiting: the trainer fails the step (and wakes this thread) if a thread is lost
  }
}

/**
 * One data-parallel optimizer step of a classifier: the batch is cut into contiguous slices, the
 * trainer's thread computes the first (with the KL term, so it is counted once) while the pool's
 * helpers compute the others; the slice gradients are summed — the gradient of the one-process
 * loss `mean NLL + klWeight · ΣKL` (training/sliceGradients.ts) — and ONE optimizer step updates
 * the trainer's variables, which are published to the helpers at the start of the next step. Every slice
 * replays the training seed stream from where the step starts, and the stream then stands where
 * one process would leave it, so a run's noise and checkpoints do not depend on the worker count.
 */
import * as tf from '@tensorflow/tfjs-core';
import { takeScalars } from '../engine/readback';
import type { VariationalSequential } from '../models/variationalSequential';
import { SeedStream } from '../random/seedStream';
import type { GradientPool, HelperSlice } from './gradientPool';
import { classifierSliceGradients } from './sliceGradients';
import type { StepMetrics } from './trainingLoop';

export interface ClassifierBatch {
  /** `size` images of `pixelsPerImage` values each, row-major, and their labels. */
  images: Float32Array;
  labels: Int32Array | Uint8Array;
  size: number;
}

export interface DataParallelStepArgs {
  pool: GradientPool;
  network: VariationalSequential;
  variables: tf.Variable[];
  optimizer: tf.Optimizer;
  batch: ClassifierBatch;
  /** Shape of one image, e.g. [28, 28, 1]. */
  imageShape: number[];
  seeds: SeedStream;
  klWeight: number;
  /** Where the step's time goes, added to (benchmarks: bench/parallelTraining.ts). */
  phases?: DataParallelPhases;
}

/** Milliseconds of data-parallel steps by phase, summed over the steps given the same object. */
export interface DataParallelPhases {
  /** Reading the variables and writing them to shared memory for the helpers. */
  publishMs: number;
  /** This thread's slice: forward, backward (wasm compute) and the slicing of the batch. */
  localComputeMs: number;
  /** Waiting for the slowest helper after this thread's slice: synchronisation (and helpers' wasm compute beyond it). */
  waitMs: number;
  /** Summing the helpers' gradient regions in JavaScript. */
  sumMs: number;
  /** Adding the helpers' sum to this thread's gradients and the Adam update. */
  optimizerMs: number;
  /** Not a part of the step's time: the slowest helper's own time for its slice (it runs beside localCompute). */
  helperComputeMs: number;
  steps: number;
}

export function emptyDataParallelPhases(): DataParallelPhases {
  return { publishMs: 0, localComputeMs: 0, waitMs: 0, sumMs: 0, optimizerMs: 0, helperComputeMs: 0, steps: 0 };
}

/** Contiguous row ranges, as equal as possible, one per thread (the first is the trainer's). */
export function sliceBounds(size: number, parts: number): { start: number; rows: number }[] {
  return Array.from({ length: parts }, (_, i) => {
    const start = Math.floor((i * size) / parts);
    return { start, rows: Math.floor(((i + 1) * size) / parts) - start };
  });
}

/** Reads every variable's values (the helpers' copy of the parameters). */
export async function variableValues(variables: tf.Variable[]): Promise<Float32Array[]> {
  return Promise.all(variables.map(async (variable) => (await variable.data()) as Float32Array));
}

export async function dataParallelStep(args: DataParallelStepArgs): Promise<StepMetrics> {
  const { pool, network, variables, optimizer, batch, imageShape, seeds, klWeight } = args;
  const phases = args.phases ?? emptyDataParallelPhases();
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const elapsed = now - mark;
    mark = now;
    return elapsed;
  };
  const pixels = imageShape.reduce((a, b) => a * b, 1);
  const [own, ...others] = sliceBounds(batch.size, pool.helpers + 1);
  // Published at every step (≈ 0.5 MB for LeNet5), so a restored or freshly built state needs no special case.
  pool.setParameters(await variableValues(variables));
  phases.publishMs += lap();
  const startState = { seed: seeds.seed, salt: seeds.salt, position: seeds.position };
  const helperSlices: HelperSlice[] = others.map(({ start, rows }) => ({
    images: batch.images.slice(start * pixels, (start + rows) * pixels),
    labels: Int32Array.from(batch.labels.subarray(start, start + rows)),
    start,
    rows,
  }));
  // Helpers start first so they compute while this thread does its own slice.
  const remote = pool.gradients(helperSlices, batch.size, startState, klWeight);
  remote.catch(() => undefined); // awaited below; this only keeps an early local failure from leaving it unhandled
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
    // tfjs's wasm and cpu kernels run synchronously: the gradients are computed by now.
    phases.localComputeMs += lap();
    const helpers = await remote;
    const sumMs = helpers.sumMs ?? 0;
    phases.waitMs += lap() - sumMs;
    phases.sumMs += sumMs;
    phases.helperComputeMs += helpers.helperComputeMs ?? 0;
    const summed = tf.tidy(() =>
      Object.fromEntries(
        variables.map((variable, i) => [
          variable.name,
          tf.add(local!.gradients[i], tf.tensor(helpers.gradients[i], variable.shape)),
        ]),
      ),
    );
    optimizer.applyGradients(summed);
    tf.dispose(Object.values(summed));
    phases.optimizerMs += lap();
    phases.steps += 1;
    seeds.seek(ownSeeds.position);
    const { nllSum, kl, correct } = await takeScalars({ nllSum: local.nllSum, kl: local.kl, correct: local.correct });
    const nll = (nllSum + helpers.nllSum) / batch.size;
    return { loss: nll + klWeight * kl, nll, kl, klWeight, accuracy: (correct + helpers.correct) / batch.size };
  } finally {
    images.dispose();
    labels.dispose();
    if (local) tf.dispose([...local.gradients, local.loss, local.nllSum, local.kl, local.correct]);
  }
}

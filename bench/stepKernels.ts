/**
 * Where one Flipout LeNet5 training step's time goes on one thread (issue 16): the kernels it runs
 * by name (count and summed kernel milliseconds, from tf.profile), the time of the whole step, the
 * time of a slice step as data-parallel training computes it (rows of a batch, with or without the
 * KL term), and wasm's fixed cost per kernel (a loop of tiny element-wise ops). Prints one JSON object.
 *
 *   npx tsx bench/stepKernels.ts [--backend wasm|cpu] [--repetitions 15]
 */
import * as tf from '@tensorflow/tfjs-core';
import '../core/engine/gradients';
import { BatchSampler } from '../core/data/batches';
import { IMAGE_SIZE } from '../core/data/dataset';
import { registerFastGradients } from '../core/engine/fastGradients';
import { lenet5ConfigSchema } from '../core/contract/runConfig';
import { lenet5Network } from '../core/experiments/lenet5/network';
import { SeedStream } from '../core/random/seedStream';
import { classifierSliceGradients } from '../core/training/sliceGradients';
import { workerEnvironment } from '../electron/worker/datasetFiles';
import { initBenchBackend } from './benchBackend';
import { oneThreadStep } from './flipoutStep';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : fallback;
};
const repetitions = Number(option('repetitions', '15'));
const BATCH = 128;

const backend = await initBenchBackend(argv);
registerFastGradients();
const dataset = await workerEnvironment.loadDataset('mnist');
const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', batchSize: BATCH });
const klWeight = 1 / dataset.train.count;
const batch = new BatchSampler(dataset.train, BATCH, 1).next();
const network = lenet5Network(config, new SeedStream(0));
const variables = network.trainableVariables;
const optimizer = tf.train.adam(1e-3);
const seeds = new SeedStream(0, 2);

/** The gradients (and loss parts) of rows [0, rows) of the batch, as a data-parallel slice. */
function sliceStep(rows: number, includeKl: boolean): tf.Tensor[] {
  const images = tf.tensor4d(batch.images.subarray(0, rows * IMAGE_SIZE * IMAGE_SIZE), [
    rows,
    IMAGE_SIZE,
    IMAGE_SIZE,
    1,
  ]);
  const labels = tf.tensor1d(Int32Array.from(batch.labels.subarray(0, rows)), 'int32');
  const result = classifierSliceGradients({
    network,
    images,
    labels,
    slice: { start: 0, fullSize: BATCH },
    seeds,
    klWeight,
    includeKl,
    variables,
  });
  tf.dispose([images, labels]);
  return [...result.gradients, result.loss, result.nllSum, result.kl, result.correct];
}

/** The one-thread trainer step: minimize, then read the loss. */
function fullStep(): void {
  const loss = oneThreadStep({ network, optimizer, variables, batch, seeds, klWeight });
  loss.dataSync();
  loss.dispose();
}

/** Median and fastest of `repetitions` timed calls after 3 untimed ones (under load the fastest is the steadier figure). */
function timedMs(run: () => void): { median: number; min: number } {
  for (let i = 0; i < 3; i += 1) run();
  const times = Array.from({ length: repetitions }, () => {
    const started = performance.now();
    run();
    return performance.now() - started;
  }).sort((a, b) => a - b);
  const round = (ms: number) => Number(ms.toFixed(2));
  return { median: round(times[Math.floor(times.length / 2)]), min: round(times[0]) };
}

async function kernelProfile(run: () => void) {
  const profile = await tf.profile(run);
  const byName: Record<string, { count: number; ms: number }> = {};
  let kernelMs = 0;
  for (const kernel of profile.kernels) {
    const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
    const entry = (byName[kernel.name] ??= { count: 0, ms: 0 });
    entry.count += 1;
    entry.ms += ms;
    kernelMs += ms;
  }
  const sorted = Object.entries(byName)
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([name, { count, ms }]) => [name, { count, ms: Number(ms.toFixed(2)) }]);
  return { kernels: profile.kernels.length, kernelMs: Number(kernelMs.toFixed(2)), byName: Object.fromEntries(sorted) };
}

/** Milliseconds per kernel of a loop of tiny element-wise ops (wasm's fixed cost per kernel call). */
function perKernelOverheadMs(): number {
  const x = tf.ones([8]);
  const ops = 2000;
  const run = () =>
    tf.tidy(() => {
      let y = x;
      for (let i = 0; i < ops; i += 1) y = tf.add(y, 1);
      return y;
    });
  return Number((timedMs(() => tf.dispose(run())).min / ops).toFixed(4));
}

const result = {
  backend,
  batchSize: BATCH,
  repetitions,
  perKernelOverheadMs: perKernelOverheadMs(),
  fullStepMs: timedMs(fullStep),
  sliceMs: {
    fullBatchWithKl: timedMs(() => tf.dispose(sliceStep(BATCH, true))),
    halfBatchWithKl: timedMs(() => tf.dispose(sliceStep(BATCH / 2, true))),
    halfBatchWithoutKl: timedMs(() => tf.dispose(sliceStep(BATCH / 2, false))),
    oneRowWithoutKl: timedMs(() => tf.dispose(sliceStep(1, false))),
  },
  fullStep: await kernelProfile(fullStep),
  halfBatchWithKl: await kernelProfile(() => tf.dispose(sliceStep(BATCH / 2, true))),
  oneRowWithoutKl: await kernelProfile(() => tf.dispose(sliceStep(1, false))),
  tensorsAtEnd: tf.memory().numTensors,
};
console.log(JSON.stringify(result, null, 2));

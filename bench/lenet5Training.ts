/**
 * LeNet5 training and evaluation speed on one backend, all measured in ONE process so the ratios
 * are comparable (these machines are noisy): Bayesian LeNet5 steps/s for each estimator, the plain
 * LeNet5 step, Monte Carlo evaluation of 50 draws × 1,000 held-out images, where a Flipout step's
 * time goes (per kernel), peak RSS and the tensor count. Prints one JSON object.
 *
 *   npx tsx bench/lenet5Training.ts [--backend wasm|cpu] [--steps 40]
 */
import * as tf from '@tensorflow/tfjs-core';
import '../core/engine/gradients';
import type { Estimator } from '../core/contract/runConfig';
import { BatchSampler } from '../core/data/batches';
import { CLASS_COUNT, IMAGE_SIZE, PIXELS_PER_IMAGE } from '../core/data/dataset';
import { registerFastGradients } from '../core/engine/fastGradients';
import { monteCarloProbabilities } from '../core/evaluation/monteCarlo';
import { LENET5_INPUT_SHAPE, lenet5Network } from '../core/experiments/lenet5/network';
import { SeedStream } from '../core/random/seedStream';
import { workerEnvironment } from '../electron/worker/datasetFiles';
import { initBenchBackend } from './benchBackend';
import { createPlainLenet5 } from './plainLenet5';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : fallback;
};
const timedSteps = Number(option('steps', '40'));
const BATCH = 128;

const backend = await initBenchBackend(argv);
registerFastGradients();
const dataset = await workerEnvironment.loadDataset('mnist');
const sampler = new BatchSampler(dataset.train, BATCH, 1);
const batches = Array.from({ length: 8 }, () => {
  const batch = sampler.next();
  return {
    images: tf.tensor4d(batch.images, [BATCH, IMAGE_SIZE, IMAGE_SIZE, 1]),
    labels: tf.oneHot(tf.tensor1d(batch.labels, 'int32'), CLASS_COUNT) as tf.Tensor2D,
  };
});
const tensorsAtStart = tf.memory().numTensors;

/** Median ms per step over `timedSteps` steps after 5 warm-up steps. */
function medianStepMs(step: (index: number) => void): number {
  for (let i = 0; i < 5; i += 1) step(i);
  const times: number[] = [];
  for (let i = 0; i < timedSteps; i += 1) {
    const start = performance.now();
    step(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function bayesianStep(estimator: Estimator) {
  const network = lenet5Network(
    { estimator, prior: { kind: 'normal', scale: 1 }, kl: 'analytic', init: { muStd: 0.1, rho: -3.5 } },
    new SeedStream(0),
  );
  const optimizer = tf.train.adam(0.001);
  const seeds = new SeedStream(1);
  const variables = network.trainableVariables;
  const step = (index: number) => {
    const { images, labels } = batches[index % batches.length];
    const loss = optimizer.minimize(
      () => {
        const { output, kl } = network.apply(images, { mode: 'sample', seeds });
        const nll = tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(output)), 1)));
        return tf.add(nll, tf.mul(kl, 1 / 9000)) as tf.Scalar;
      },
      true,
      variables,
    )!;
    loss.dataSync();
    loss.dispose();
  };
  return { network, optimizer, step };
}

const bayesian: Record<string, { msPerStep: number; stepsPerSecond: number }> = {};
let flipoutProfile: { kernel: string; ms: number; share: number }[] = [];
for (const estimator of ['flipout', 'reparameterization', 'local'] as const) {
  const { network, optimizer, step } = bayesianStep(estimator);
  const ms = medianStepMs(step);
  bayesian[estimator] = { msPerStep: round(ms), stepsPerSecond: round(1000 / ms) };
  if (estimator === 'flipout') {
    // Where a step's time goes, summed per kernel (fused ops count once).
    const profile = await tf.profile(() => step(0));
    const perKernel = new Map<string, number>();
    for (const kernel of profile.kernels) {
      const kernelMs = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
      perKernel.set(kernel.name, (perKernel.get(kernel.name) ?? 0) + kernelMs);
    }
    const total = [...perKernel.values()].reduce((a, b) => a + b, 0);
    flipoutProfile = [...perKernel.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([kernel, kernelMs]) => ({ kernel, ms: round(kernelMs), share: round(kernelMs / total) }));
  }
  optimizer.dispose();
  network.dispose();
}

const plain = createPlainLenet5(0);
const plainMs = medianStepMs((index) => {
  const { images, labels } = batches[index % batches.length];
  plain.trainStep(images, labels);
});
plain.dispose();

// Monte Carlo evaluation exactly as the experiment does it: 50 whole-network draws over 1,000 images.
const evalNetwork = lenet5Network(
  { estimator: 'flipout', prior: { kind: 'normal', scale: 1 }, kl: 'analytic', init: { muStd: 0.1, rho: -3.5 } },
  new SeedStream(0),
);
const evalStart = performance.now();
await monteCarloProbabilities({
  network: evalNetwork,
  images: dataset.heldout.images.subarray(0, 1000 * PIXELS_PER_IMAGE),
  count: 1000,
  imageShape: LENET5_INPUT_SHAPE,
  classes: CLASS_COUNT,
  draws: 50,
  seed: 3,
});
const evalSeconds = (performance.now() - evalStart) / 1000;
evalNetwork.dispose();

const tensorsAtEnd = tf.memory().numTensors;
batches.forEach(({ images, labels }) => tf.dispose([images, labels]));

console.log(
  JSON.stringify({
    backend,
    batchSize: BATCH,
    timedSteps,
    bayesianLenet5: bayesian,
    plainLenet5: { msPerStep: round(plainMs), stepsPerSecond: round(1000 / plainMs) },
    flipoutOverPlainTimeRatio: round(bayesian.flipout.msPerStep / plainMs),
    flipoutStepProfile: flipoutProfile,
    monteCarloEvaluation: { draws: 50, images: 1000, seconds: round(evalSeconds) },
    peakRssMB: round(process.resourceUsage().maxRSS / 1024),
    tensorCount: { atStart: tensorsAtStart, atEnd: tensorsAtEnd },
  }),
);

function round(value: number): number {
  return Number(value.toFixed(3));
}

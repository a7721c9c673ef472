/**
 * Training and prediction cost of each trained method on the same LeNet5, batch 128, bundled MNIST:
 * mean-field VI (Flipout), deterministic, MC dropout (rate 0.1) and a 5-member deep ensemble (one
 * step = one step of every member). Each method runs in its own process, so each peak RSS is that
 * method's alone; the ratios come from one sitting. Prints one JSON object.
 *
 *   npx tsx bench/methodsTraining.ts [--backend wasm|cpu] [--steps 20] [--rounds 1] [--method vi|deterministic|mcDropout|ensemble]
 *
 * Prediction cost = time of one pass over 500 held-out images, times the passes the method's
 * predictive takes (VI and MC dropout 50, ensemble 5 members, deterministic 1), per image.
 *
 * What one training step does (after the timed steps, untimed): the kernels it runs (`tf.profile`,
 * forward and backward), and the random tensors and values it draws and the time spent drawing them
 * (see profileStep). VI draws a weight perturbation per layer and Flipout's sign
 * flips; MC dropout one mask per dropout layer (activation-sized, no weights drawn); the
 * deterministic net nothing. An ensemble step is one step of each of its 5 members: per member
 * step it is `memberStepsPerSecond`.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '../core/engine/gradients';
import { BatchSampler } from '../core/data/batches';
import { CLASS_COUNT, IMAGE_SIZE, PIXELS_PER_IMAGE } from '../core/data/dataset';
import { registerFastGradients } from '../core/engine/fastGradients';
import { lenet5Network } from '../core/experiments/lenet5/network';
import { DeepEnsemble } from '../core/methods/ensemble';
import { pointLenet5Network } from '../core/models/pointNetworks';
import { SeedStream } from '../core/random/seedStream';
import { workerEnvironment } from '../electron/worker/datasetFiles';
import { initBenchBackend } from './benchBackend';

const METHODS = ['vi', 'deterministic', 'mcDropout', 'ensemble'] as const;
type Method = (typeof METHODS)[number];

const argv = process.argv.slice(2);
const option = (name: string, fallback?: string) => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : fallback;
};

const chosen = option('method') as Method | undefined;
if (chosen === undefined) {
  // One process per method: a peak RSS is a high-water mark of the whole process.
  const tsxCli = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
  const self = fileURLToPath(import.meta.url);
  // `--rounds R` (default 1) runs the methods R times in turn, so a change of the machine's load hits every
  // method alike; each method reports its round with the median time per step, and every round's ms/step.
  const rounds = Number(option('rounds', '1'));
  const childArgv = argv.filter((_, i) => argv[i] !== '--rounds' && argv[i - 1] !== '--rounds');
  const byMethod: Record<string, { msPerStep: number }[]> = {};
  const failures: Record<string, string> = {};
  for (let round = 0; round < rounds; round += 1) {
    for (const method of METHODS) {
      try {
        const output = execFileSync(process.execPath, [tsxCli, self, ...childArgv, '--method', method], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
          timeout: 600_000,
        });
        (byMethod[method] ??= []).push(JSON.parse(output.slice(output.indexOf('{'))) as { msPerStep: number });
      } catch (error) {
        failures[method] = (error as Error).message.split('\n')[0];
      }
    }
  }
  const results = Object.fromEntries(
    METHODS.map((method) => {
      const runs = [...(byMethod[method] ?? [])].sort((a, b) => a.msPerStep - b.msPerStep);
      if (runs.length === 0) return [method, { failed: failures[method] }];
      return [
        method,
        { ...runs[Math.floor(runs.length / 2)], msPerStepByRound: byMethod[method].map((run) => run.msPerStep) },
      ];
    }),
  );
  // Other processes share the machine: the load average says how far the seconds can be trusted.
  console.log(
    JSON.stringify(
      { loadAverage: loadavg().map((value) => Math.round(value * 100) / 100), rounds, ...results },
      null,
      2,
    ),
  );
} else {
  if (!METHODS.includes(chosen)) throw new Error(`--method must be one of ${METHODS.join(', ')}; found "${chosen}".`);
  console.log(JSON.stringify(await measure(chosen)));
}

async function measure(method: Method) {
  const timedSteps = Number(option('steps', '20'));
  const BATCH = 128;
  const backend = await initBenchBackend(argv);
  registerFastGradients();
  const dataset = await workerEnvironment.loadDataset('mnist');
  const sampler = new BatchSampler(dataset.train, BATCH, 1);
  const batches = Array.from({ length: 4 }, () => {
    const batch = sampler.next();
    return {
      images: tf.tensor4d(batch.images, [BATCH, IMAGE_SIZE, IMAGE_SIZE, 1]),
      labels: tf.oneHot(tf.tensor1d(batch.labels, 'int32'), CLASS_COUNT) as tf.Tensor2D,
    };
  });
  const heldout = tf.tensor4d(dataset.heldout.images.subarray(0, 500 * PIXELS_PER_IMAGE), [
    500,
    IMAGE_SIZE,
    IMAGE_SIZE,
    1,
  ]);
  const nll = (labels: tf.Tensor2D, logits: tf.Tensor) =>
    tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1)));
  const weightDecay = 5e-4;
  const seeds = new SeedStream(1);

  let loss: (images: tf.Tensor4D, labels: tf.Tensor2D) => tf.Scalar;
  let predictOnce: () => tf.Tensor;
  let passes: number;
  let variables: tf.Variable[];
  let parameterCount: number;
  let dispose: () => void;
  if (method === 'vi') {
    const network = lenet5Network(
      { estimator: 'flipout', prior: { kind: 'normal', scale: 1 }, kl: 'analytic', init: { muStd: 0.1, rho: -5 } },
      new SeedStream(0),
    );
    loss = (images, labels) =>
      tf.tidy(() => {
        const { output, kl } = network.apply(images, { mode: 'sample', seeds });
        return tf.add(nll(labels, output), tf.mul(kl, 0.15 / 9000)) as tf.Scalar;
      });
    // tidy also frees the (zero) KL scalar the pass returns.
    predictOnce = () => tf.tidy(() => network.apply(heldout, { mode: 'draw', seeds, computeKl: false }).output);
    passes = 50;
    variables = network.trainableVariables;
    parameterCount = variables.reduce((sum, variable) => sum + variable.size, 0);
    dispose = () => network.dispose();
  } else if (method === 'ensemble') {
    const ensemble = new DeepEnsemble(
      5,
      (memberSeeds, m) => pointLenet5Network({ namePrefix: `member${m + 1}/` }, memberSeeds),
      new SeedStream(0),
    );
    loss = (images, labels) =>
      tf.tidy(() => {
        const total = ensemble.members
          .map((member) => nll(labels, member.apply(images, { mode: 'sample', seeds })))
          .reduce((a, b) => tf.add(a, b));
        return tf.add(total, tf.mul(ensemble.l2Penalty(), weightDecay)) as tf.Scalar;
      });
    predictOnce = () => ensemble.members[0].apply(heldout, { mode: 'mean', seeds });
    passes = 5;
    variables = ensemble.trainableVariables;
    parameterCount = ensemble.parameterCount;
    dispose = () => ensemble.dispose();
  } else {
    const network = pointLenet5Network(method === 'mcDropout' ? { dropoutRate: 0.1 } : {}, new SeedStream(0));
    loss = (images, labels) =>
      tf.tidy(
        () =>
          tf.add(
            nll(labels, network.apply(images, { mode: 'sample', seeds })),
            tf.mul(network.l2Penalty(), weightDecay),
          ) as tf.Scalar,
      );
    predictOnce = () => network.apply(heldout, { mode: method === 'mcDropout' ? 'draw' : 'mean', seeds });
    passes = method === 'mcDropout' ? 50 : 1;
    variables = network.trainableVariables;
    parameterCount = network.parameterCount;
    dispose = () => network.dispose();
  }

  const optimizer = tf.train.adam(0.001);
  const step = (index: number) => {
    const { images, labels } = batches[index % batches.length];
    const value = optimizer.minimize(() => loss(images, labels), true, variables)!;
    value.dataSync();
    value.dispose();
  };
  const median = (run: (index: number) => void, warmup: number, repetitions: number) => {
    for (let i = 0; i < warmup; i += 1) run(i);
    const times = Array.from({ length: repetitions }, (_, i) => {
      const start = performance.now();
      run(i);
      return performance.now() - start;
    }).sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  };
  // Adam creates its moments on the first step: count tensors after it.
  step(0);
  const tensorsBefore = tf.memory().numTensors;
  const stepMs = median(step, 2, timedSteps);
  const passMs = median(
    () => {
      const output = predictOnce();
      output.dataSync();
      output.dispose();
    },
    1,
    5,
  );
  const tensorsAfter = tf.memory().numTensors;
  const oneStep = await profileStep(() => step(0), seeds);
  optimizer.dispose();
  dispose();
  batches.forEach(({ images, labels }) => tf.dispose([images, labels]));
  heldout.dispose();
  const round = (value: number) => Number(value.toFixed(3));
  return {
    backend: backend.name,
    batchSize: BATCH,
    timedSteps,
    msPerStep: round(stepMs),
    stepsPerSecond: round(1000 / stepMs),
    ...(method === 'ensemble' ? { members: 5, memberStepsPerSecond: round((5 * 1000) / stepMs) } : {}),
    oneStep,
    parameterCount,
    predictionPasses: passes,
    predictionMsPerImage: round((passMs * passes) / 500),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    tensorCountGrowth: tensorsAfter - tensorsBefore,
  };
}

/**
 * The kernels one call of `run` executes and the random draws it makes. Every random tensor takes a
 * seed from `seeds` and is filled on the JavaScript side in a `tf.TensorBuffer` that becomes the
 * tensor (tfjs's randomNormal / randomUniform, and so tf.dropout's mask); nothing else in a training
 * step goes through a TensorBuffer (gradients' `ones` and scalars are made directly), so its
 * `toTensor` counts the random tensors and values exactly. Sampling time: from the latest seed or
 * draw to each draw (the generation loop, plus the few sign kernels between Flipout's two draws).
 */
async function profileStep(run: () => void, seeds: SeedStream) {
  const bufferPrototype = tf.TensorBuffer.prototype as { toTensor(): tf.Tensor };
  const toTensor = bufferPrototype.toTensor;
  const next = seeds.next.bind(seeds);
  let seedsTaken = 0;
  let randomTensors = 0;
  let randomValues = 0;
  let samplingMs = 0;
  let since = 0;
  bufferPrototype.toTensor = function (this: tf.TensorBuffer<tf.Rank>) {
    const now = performance.now();
    randomTensors += 1;
    randomValues += this.size;
    samplingMs += now - since;
    since = now;
    return toTensor.call(this);
  };
  seeds.next = () => {
    seedsTaken += 1;
    since = performance.now();
    return next();
  };
  try {
    const started = performance.now();
    const profile = await tf.profile(run);
    const stepMs = performance.now() - started;
    const kernelCounts: Record<string, number> = {};
    for (const kernel of profile.kernels) kernelCounts[kernel.name] = (kernelCounts[kernel.name] ?? 0) + 1;
    const round = (value: number) => Number(value.toFixed(2));
    return {
      kernels: profile.kernels.length,
      seedsTaken,
      randomTensors,
      randomValues,
      samplingMs: round(samplingMs),
      profiledStepMs: round(stepMs),
      kernelCounts,
    };
  } finally {
    bufferPrototype.toTensor = toTensor;
    seeds.next = next;
  }
}

/**
 * Data-parallel scaling (issue 16), measured in ONE process sitting with N = 1, 2, 4 interleaved
 * round by round so that load from other processes hits every N alike: Flipout LeNet5 steps/s
 * (batch 128, the trainer's path: optimizer.minimize at N = 1, core/training/dataParallelStep.ts
 * with N − 1 helper threads otherwise) and the time of Monte Carlo evaluation, 50 draws × 1,000
 * held-out images. Scaling efficiency = speed(N) / (N · speed(1)). Also the load average, peak RSS,
 * tensor counts, and as a control the speed-up plain JavaScript arithmetic gets from N threads in
 * the same rounds (on a loaded machine that, not the training code, bounds every ratio). For N > 1,
 * where a timed step's milliseconds go (`phasesMsPerStep`: publishing the step, this thread's slice,
 * waiting for the slowest helper's gradient, this thread's Adam shard, waiting for the other
 * shards, copying the parameters into the variables) — the terms
 * of the README's model of scaling to 8 cores. Prints one JSON object.
 *
 *   npx tsx bench/parallelTraining.ts [--backend wasm|cpu] [--steps 15] [--rounds 2] [--workers 1,2,4]
 *                                     [--kl-rows 4,6,8]   (one N > 1 setup per KL allowance of the split)
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import '../core/engine/gradients';
import { BatchSampler } from '../core/data/batches';
import { CLASS_COUNT, IMAGE_SIZE } from '../core/data/dataset';
import { registerFastGradients } from '../core/engine/fastGradients';
import { monteCarloProbabilities, type MonteCarloArgs } from '../core/evaluation/monteCarlo';
import { parallelMonteCarloProbabilities } from '../core/evaluation/parallelMonteCarlo';
import { lenet5ConfigSchema } from '../core/contract/runConfig';
import { makeEvaluationSet } from '../core/experiments/lenet5/evaluation';
import { LENET5_INPUT_SHAPE, lenet5Network } from '../core/experiments/lenet5/network';
import { SeedStream } from '../core/random/seedStream';
import {
  dataParallelStep,
  emptyDataParallelPhases,
  KL_TERM_ROWS,
  newDataParallelState,
  sliceBounds,
  type DataParallelPhases,
  type DataParallelState,
} from '../core/training/dataParallelStep';
import { classifierSliceGradients } from '../core/training/sliceGradients';
import { workerEnvironment } from '../electron/worker/datasetFiles';
import { WorkerGradientPool } from '../electron/worker/gradientPool';
import { initBenchBackend } from './benchBackend';
import { oneThreadStep } from './flipoutStep';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : fallback;
};
const timedSteps = Number(option('steps', '15'));
const rounds = Number(option('rounds', '2'));
const workerCounts = option('workers', '1,2,4').split(',').map(Number);
/** The split's KL allowance in rows, one N > 1 setup per value (default: the trainer's own). */
const klRowsChoices = option('kl-rows', String(KL_TERM_ROWS)).split(',').map(Number);
const BATCH = 128;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const DRAWS = 50;
const IMAGES = 1000;

const backend = await initBenchBackend(argv);
registerFastGradients();
const dataset = await workerEnvironment.loadDataset('mnist');
const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', batchSize: BATCH });
const klWeight = 1 / dataset.train.count;
const sampler = new BatchSampler(dataset.train, BATCH, 1);
const batches = Array.from({ length: 8 }, () => sampler.next());
const evaluationSet = makeEvaluationSet(dataset, config, 1, IMAGES);

interface Setup {
  /** `workers2`, or `workers2-kl4` when several KL allowances are compared. */
  label: string;
  workers: number;
  /** The split's KL allowance in rows (N > 1). */
  klRows: number;
  pool: WorkerGradientPool | null;
  network: ReturnType<typeof lenet5Network>;
  optimizer: tf.AdamOptimizer;
  seeds: SeedStream;
  state: DataParallelState;
  /** Phases of the timed data-parallel steps, over every round. */
  phases: DataParallelPhases;
  /** Set while steps are timed (warm-up steps are not counted). */
  timing: boolean;
  /** Milliseconds of the trainer's slice computed with every helper idle, one sample per round. */
  isolatedSliceMs: number[];
}

async function setUp(workers: number, klRows: number, label: string): Promise<Setup> {
  const network = lenet5Network(config, new SeedStream(0));
  const pool =
    workers === 1
      ? null
      : await WorkerGradientPool.start({
          network: config,
          helpers: workers - 1,
          backend: backend.name,
          variableSizes: network.trainableVariables.map((variable) => variable.size),
          maxBatch: BATCH,
        });
  return {
    label,
    workers,
    klRows,
    pool,
    network,
    optimizer: tf.train.adam(1e-3),
    seeds: new SeedStream(0, 2),
    state: newDataParallelState(),
    phases: emptyDataParallelPhases(),
    timing: false,
    isolatedSliceMs: [],
  };
}

/** One training step as the trainer takes it with `workers` threads. */
async function step(setup: Setup, index: number): Promise<void> {
  const batch = batches[index % batches.length];
  const { network, optimizer, seeds, pool } = setup;
  const variables = network.trainableVariables;
  if (pool) {
    await dataParallelStep({
      pool,
      state: setup.state,
      network,
      variables,
      optimizer,
      batch,
      imageShape: [IMAGE_SIZE, IMAGE_SIZE, 1],
      seeds,
      klWeight,
      klTermRows: setup.klRows,
      ...(setup.timing ? { phases: setup.phases } : {}),
    });
    return;
  }
  const loss = oneThreadStep({ network, optimizer, variables, batch, seeds, klWeight });
  await loss.data(); // the trainer reads its metrics back every step
  loss.dispose();
}

async function stepsPerSecond(setup: Setup): Promise<number> {
  for (let i = 0; i < 3; i += 1) await step(setup, i);
  setup.timing = true;
  const started = performance.now();
  for (let i = 0; i < timedSteps; i += 1) await step(setup, i);
  setup.timing = false;
  return timedSteps / ((performance.now() - started) / 1000);
}

/**
 * The trainer's own slice (its rows, with the KL) computed while every helper is idle, median ms
 * over `timedSteps`: against `localCompute` (the same work while the helpers compute theirs) it shows
 * how much running N threads at once slows each one (cores shared with other load, memory traffic),
 * as opposed to work that does not shrink with the slice.
 */
function isolatedSliceMs(setup: Setup): number {
  const { network } = setup;
  const variables = network.trainableVariables;
  const [own] = sliceBounds(BATCH, setup.workers, setup.klRows);
  const pixels = IMAGE_SIZE * IMAGE_SIZE;
  const times: number[] = [];
  for (let i = 0; i < timedSteps + 2; i += 1) {
    const batch = batches[i % batches.length];
    const started = performance.now();
    tf.tidy(() => {
      const images = tf.tensor4d(batch.images.subarray(0, own.rows * pixels), [own.rows, IMAGE_SIZE, IMAGE_SIZE, 1]);
      const labels = tf.tensor1d(Int32Array.from(batch.labels.subarray(0, own.rows)), 'int32');
      const result = classifierSliceGradients({
        network,
        images,
        labels,
        slice: { start: own.start, fullSize: BATCH },
        seeds: new SeedStream(7, 3),
        klWeight,
        includeKl: true,
        variables,
      });
      result.gradients.forEach((gradient) => gradient.dataSync());
      // tf.keep'd inside classifierSliceGradients, so outside the tidy's reach.
      tf.dispose([result.nllSum, result.kl, result.correct]);
    });
    if (i >= 2) times.push(performance.now() - started);
  }
  return median(times);
}

async function evaluationSeconds(setup: Setup): Promise<number> {
  const args: MonteCarloArgs = {
    network: setup.network,
    images: evaluationSet.heldoutImages,
    count: evaluationSet.heldoutCount,
    imageShape: LENET5_INPUT_SHAPE,
    classes: CLASS_COUNT,
    draws: DRAWS,
    seed: 5,
  };
  const started = performance.now();
  await (setup.pool ? parallelMonteCarloProbabilities(setup.pool, args) : monteCarloProbabilities(args));
  return (performance.now() - started) / 1000;
}

/**
 * Control: seconds for a fixed amount of plain JavaScript arithmetic split over `threads` threads.
 * Its speed-up is the most any N-thread computation can get from this machine right now (other
 * processes, and a scheduler that shares CPU per session rather than per thread, cap it).
 */
async function busyThreadsSeconds(threads: number): Promise<number> {
  const iterations = Math.round(3e8 / threads);
  const source = `const { parentPort, workerData } = require('node:worker_threads');
    let x = 0; for (let i = 0; i < workerData; i += 1) x = (x + i * 1.000001) % 1e9;
    parentPort.postMessage(x);`;
  const started = performance.now();
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise((resolve, reject) => {
          const worker = new Worker(source, { eval: true, workerData: iterations });
          worker.once('message', (value) => void worker.terminate().then(() => resolve(value)));
          worker.once('error', reject);
        }),
    ),
  );
  return (performance.now() - started) / 1000;
}

/** Milliseconds per timed step of each phase (null for N = 1, which takes the one-thread path). */
function phasesPerStep(phases: DataParallelPhases): Record<string, number> | null {
  if (phases.steps === 0) return null;
  const { steps, ...times } = phases;
  return Object.fromEntries(
    Object.entries(times).map(([name, ms]) => [name.replace(/Ms$/, ''), Math.round((ms / steps) * 10) / 10]),
  );
}

const setups: Setup[] = [];
for (const workers of workerCounts) {
  const choices = workers === 1 ? [0] : klRowsChoices;
  for (const klRows of choices) {
    const label = workers > 1 && klRowsChoices.length > 1 ? `workers${workers}-kl${klRows}` : `workers${workers}`;
    setups.push(await setUp(workers, klRows, label));
  }
}
const loadBefore = os.loadavg();
const samples = new Map<string, { steps: number[]; evaluation: number[]; busy: number[]; tensors: number[] }>(
  setups.map((setup) => [setup.label, { steps: [], evaluation: [], busy: [], tensors: [] }]),
);
for (let round = 0; round < rounds; round += 1) {
  for (const setup of setups) {
    const sample = samples.get(setup.label)!;
    sample.busy.push(await busyThreadsSeconds(setup.workers));
    sample.steps.push(await stepsPerSecond(setup));
    if (setup.pool) setup.isolatedSliceMs.push(isolatedSliceMs(setup));
    sample.evaluation.push(await evaluationSeconds(setup));
    sample.tensors.push(tf.memory().numTensors);
  }
}
const loadAfter = os.loadavg();
const base = samples.get(setups[0].label)!;
const baseSteps = median(base.steps);
const baseEvaluation = median(base.evaluation);
const baseBusy = median(base.busy);
const results = Object.fromEntries(
  setups.map((setup) => {
    const { steps, evaluation, busy, tensors } = samples.get(setup.label)!;
    const { workers } = setup;
    const speed = median(steps);
    const seconds = median(evaluation);
    return [
      setup.label,
      {
        ...(workers > 1 ? { slices: sliceBounds(BATCH, workers, setup.klRows).map((slice) => slice.rows) } : {}),
        // What plain arithmetic gained from the same thread count in the same rounds: the ceiling.
        plainThreadsSpeedup: baseBusy / median(busy),
        stepsPerSecond: speed,
        stepsPerSecondRounds: steps,
        trainingSpeedup: speed / baseSteps,
        trainingEfficiency: speed / (workers * baseSteps),
        evaluationSeconds: seconds,
        evaluationSecondsRounds: evaluation,
        evaluationSpeedup: baseEvaluation / seconds,
        evaluationEfficiency: baseEvaluation / (workers * seconds),
        // After each round: flat when nothing leaks (every setup has its own network and Adam state).
        trainerTensorsAfterRounds: tensors,
        helperTensors: setup.pool?.helperTensorCounts ?? [],
        phasesMsPerStep: phasesPerStep(setup.phases),
        // The same slice as `localCompute` with the helpers idle (median per round).
        isolatedTrainerSliceMsRounds: setup.isolatedSliceMs.map((ms) => Math.round(ms * 10) / 10),
      },
    ];
  }),
);
for (const setup of setups) {
  await setup.pool?.close();
  setup.optimizer.dispose();
  setup.network.dispose();
}
console.log(
  JSON.stringify(
    {
      backend,
      cores: os.cpus().length,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAfter,
      batchSize: BATCH,
      timedSteps,
      rounds,
      evaluation: `${DRAWS} draws × ${IMAGES} images`,
      ...results,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    },
    null,
    2,
  ),
);

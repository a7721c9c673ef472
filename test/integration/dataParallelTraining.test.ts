/**
 * Data-parallel LeNet5 with real helper threads (electron/worker/gradientPool.ts) on the cpu
 * backend: the same run trained by 1 and by 2 workers follows the same trajectory (the same noise,
 * gradients equal up to float32 summation order), tensor counts stay flat in the trainer and in the
 * helper, and a helper killed mid-run fails the run with a message while the checkpoint taken
 * before stays intact.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lenet5ConfigSchema } from '../../core/contract/runConfig';
import type { ExperimentEvent } from '../../core/contract/runEvent';
import { runLenet5 } from '../../core/experiments/lenet5/trainer';
import type { ExperimentEnvironment } from '../../core/experiments/trainer';
import type { TrainingCheckpoint } from '../../core/training/checkpoint';
import { workerEnvironment } from '../../electron/worker/datasetFiles';
import { WorkerGradientPool } from '../../electron/worker/gradientPool';
import { useCpuBackend } from '../fixtures/testBackend';
import { CLASS_COUNT, PIXELS_PER_IMAGE } from '../../core/data/dataset';
import { monteCarloProbabilities } from '../../core/evaluation/monteCarlo';
import { parallelMonteCarloProbabilities } from '../../core/evaluation/parallelMonteCarlo';
import { LENET5_INPUT_SHAPE, lenet5Network } from '../../core/experiments/lenet5/network';
import { SeedStream } from '../../core/random/seedStream';

beforeAll(useCpuBackend);

const config = (workers: number, steps = 4) =>
  lenet5ConfigSchema.parse({
    experiment: 'lenet5',
    steps,
    batchSize: 32,
    evalEvery: 1000,
    evalDraws: 2,
    evalImages: 20,
    seed: 4,
    backend: 'cpu',
    workers,
  });

const pools: WorkerGradientPool[] = [];
const environment: ExperimentEnvironment = {
  ...workerEnvironment,
  startGradientPool: async (spec) => {
    const pool = await WorkerGradientPool.start(spec);
    pools.push(pool);
    return pool;
  },
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

async function train(
  workers: number,
  extra: Partial<{ steps: number; onMetrics: (step: number) => void; checkpoints: TrainingCheckpoint[] }> = {},
) {
  const losses: number[] = [];
  const trainerTensors: number[] = [];
  const helperTensors: number[][] = [];
  const checkpoints = extra.checkpoints ?? [];
  const summary = await runLenet5(
    { ...config(workers, extra.steps), evalEvery: 2 },
    {
      emit: (event: ExperimentEvent) => {
        if (event.type !== 'metrics') return;
        losses.push(event.loss);
        trainerTensors.push(tf.memory().numTensors);
        if (pools.length > 0) helperTensors.push(pools[pools.length - 1].helperTensorCounts);
        extra.onMetrics?.(event.step);
      },
      shouldStop: () => false,
      checkpoint: (state) => void checkpoints.push(state),
    },
    environment,
  );
  return { summary, losses, trainerTensors, helperTensors, checkpoints };
}

describe('data-parallel LeNet5 over worker threads (cpu backend)', () => {
  it('trains the same trajectory with 2 workers as with 1, with flat tensor counts everywhere', async () => {
    const one = await train(1);
    const two = await train(2);
    expect(one.summary.workers).toBe(1);
    expect(two.summary.workers).toBe(2);
    expect(two.losses).toHaveLength(4);
    two.losses.forEach((loss, i) => expect(loss).toBeCloseTo(one.losses[i], 3));
    expect(two.summary.heldoutNats).toBeCloseTo(one.summary.heldoutNats!, 3);
    // The training stream ends where one process leaves it: checkpoints are interchangeable.
    expect(two.checkpoints.at(-1)!.seedStreams).toEqual(one.checkpoints.at(-1)!.seedStreams);
    // Adam's state, kept in shared memory while the helpers train, reaches the checkpoint whole.
    const [adamOne, adamTwo] = [one, two].map((run) => run.checkpoints.at(-1)!.optimizer);
    expect(adamTwo.iterations).toBe(4);
    expect(adamTwo.accBeta1).toBe(adamOne.accBeta1);
    expect(adamTwo.accBeta2).toBe(adamOne.accBeta2);
    adamTwo.firstMoments.forEach((moment, i) => {
      const reference = adamOne.firstMoments[i];
      expect(moment.name).toBe(reference.name);
      const scale = Math.max(...reference.values.map(Math.abs), 1e-12);
      const worst = Math.max(...moment.values.map((value, j) => Math.abs(value - reference.values[j])));
      expect(worst / scale, moment.name).toBeLessThan(1e-3);
    });
    // Reproducible for a given (seed, N): a second 2-worker run repeats the first bit for bit.
    const again = await train(2);
    expect(again.losses).toEqual(two.losses);
    expect(again.checkpoints.at(-1)!.variables).toEqual(two.checkpoints.at(-1)!.variables);
    // Steps 2–4 (Adam's moments exist from step 1; the evaluation at step 2 frees what it makes).
    expect(new Set(two.trainerTensors.slice(1)).size).toBe(1);
    expect(new Set(two.helperTensors.slice(1).map((counts) => counts.join())).size).toBe(1);
  }, 120_000);

  it('keeps the tensor count flat in every helper thread across steps (3 workers: 2 helpers)', async () => {
    const three = await train(3, { steps: 5 });
    expect(three.summary.workers).toBe(3);
    // One count per helper after every step; from step 2 on (Adam's moments exist) none grows.
    expect(three.helperTensors.every((counts) => counts.length === 2)).toBe(true);
    for (const helper of [0, 1]) {
      const counts = three.helperTensors.slice(1).map((perHelper) => perHelper[helper]);
      expect(new Set(counts).size, `helper ${helper + 1}: ${counts.join(', ')}`).toBe(1);
    }
    expect(new Set(three.trainerTensors.slice(1)).size).toBe(1);
  }, 180_000);

  it('shares Monte Carlo draws with the helpers and gets the one-thread probabilities', async () => {
    const network = lenet5Network(config(3), new SeedStream(9));
    const pool = await environment.startGradientPool!({
      network: config(3),
      helpers: 2,
      backend: 'cpu',
      variableSizes: network.trainableVariables.map((variable) => variable.size),
      maxBatch: 32,
    });
    const images = Float32Array.from({ length: 7 * PIXELS_PER_IMAGE }, (_, i) => (i % 97) / 97);
    const args = { network, images, count: 7, imageShape: LENET5_INPUT_SHAPE, classes: CLASS_COUNT, draws: 5, seed: 3 };
    const before = tf.memory().numTensors;
    const shared = await parallelMonteCarloProbabilities(pool, args);
    const single = await monteCarloProbabilities(args);
    expect(tf.memory().numTensors).toBe(before);
    expect(shared.values).toHaveLength(single.values.length);
    const worst = shared.values.reduce((max, value, i) => Math.max(max, Math.abs(value - single.values[i])), 0);
    expect(worst).toBeLessThan(1e-6);
    network.dispose();
  }, 120_000);

  it('fails the run with a message when a helper is killed, and keeps the checkpoint taken before, which resumes', async () => {
    const checkpoints: TrainingCheckpoint[] = [];
    const run = train(2, {
      steps: 6,
      checkpoints,
      onMetrics: (step) => {
        if (step === 3) void pools[pools.length - 1].threads[0].terminate();
      },
    });
    await expect(run).rejects.toThrow(/Gradient helper 1 of 1 exited unexpectedly.*last checkpoint is kept/);
    // The checkpoint of step 2 (after its evaluation) was stored whole; nothing after it was attempted.
    expect(checkpoints.map((checkpoint) => checkpoint.step)).toEqual([2]);
    expect(checkpoints[0].variables.every((variable) => variable.values.every(Number.isFinite))).toBe(true);
    // …and the run resumes from it with fresh helpers and finishes where an uninterrupted run does,
    // bit for bit (Adam's moments, step count and β powers went through the checkpoint exactly).
    const resumedCheckpoints: TrainingCheckpoint[] = [];
    const resumed = await runLenet5(
      { ...config(2, 6), evalEvery: 2 },
      { emit: () => undefined, shouldStop: () => false, checkpoint: (state) => void resumedCheckpoints.push(state) },
      environment,
      checkpoints[0],
    );
    expect(resumed.steps).toBe(6);
    expect(resumed.workers).toBe(2);
    const straight = await train(2, { steps: 6 });
    expect(resumedCheckpoints.at(-1)!.variables).toEqual(straight.checkpoints.at(-1)!.variables);
    expect(resumedCheckpoints.at(-1)!.optimizer).toEqual(straight.checkpoints.at(-1)!.optimizer);
  }, 120_000);
});

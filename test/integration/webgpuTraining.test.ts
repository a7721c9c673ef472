/**
 * Training on the webgpu backend (Dawn on software Vulkan) replays the cpu backend: the same seeds
 * give the same losses, step by step, for the sinusoid and for LeNet5 with every estimator; the
 * tensor count and the GPU bytes stay flat across steps; Monte Carlo evaluation gives the same
 * probabilities; a run stopped at a checkpoint and resumed on webgpu continues bit for bit.
 *
 * Why the losses can be compared at all: every random number core draws (initial μ, weight noise,
 * Flipout signs) comes from tf.randomNormal / tf.randomUniform with an explicit seed from a
 * SeedStream, and tfjs-core generates those values in JavaScript, on the host, for every backend;
 * the batches come from the same seeded sampler. What differs is float32 arithmetic order (a GPU
 * reduces in parallel), so losses agree with cpu to rounding, not bit for bit. webgpu against itself
 * agrees bit for bit (same seed, run after run and across a resume), because the backend is set to
 * sum every matrix product in a fixed order (electron/worker/webgpuDevice.ts).
 *
 * LeNet5 runs at batch 16 here, not 128: llvmpipe runs the convolutions on the CPU, and the same code
 * paths run at any batch size (the 300-step CLI run in webgpuCli.test.ts uses the full network).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  lenet5ConfigSchema,
  sinusoidConfigSchema,
  type Estimator,
  type Lenet5Config,
} from '../../core/contract/runConfig';
import type { ExperimentEvent } from '../../core/contract/runEvent';
import { CLASS_COUNT, PIXELS_PER_IMAGE } from '../../core/data/dataset';
import { monteCarloProbabilities } from '../../core/evaluation/monteCarlo';
import { experimentTrainers } from '../../core/experiments/trainers';
import { LENET5_INPUT_SHAPE, lenet5Network } from '../../core/experiments/lenet5/network';
import { sinusoidPresets } from '../../core/experiments/sinusoid/presets';
import { SeedStream } from '../../core/random/seedStream';
import type { TrainingCheckpoint } from '../../core/training/checkpoint';
import { selectBackend } from '../../electron/worker/backend';
import { workerEnvironment } from '../../electron/worker/datasetFiles';
import { useSoftwareVulkan } from '../fixtures/softwareVulkan';

/**
 * Losses agree to this relative difference. Measured here: sinusoid ≤ 7e-7, LeNet5 ≤ 2e-7 over 5
 * steps. Float32 sums of thousands of terms in another order differ by ~1e-7 relative per op,
 * and Adam normalises each gradient by its own running RMS, so a component whose gradient is near
 * zero can move by a different fraction of the learning rate: 1e-5 is 14× the largest difference
 * measured, while a wrong kernel, a missed noise draw or another batch changes the loss by far more
 * (one step of training changes it by ~1e-3 relative).
 */
const LOSS_TOLERANCE = 1e-5;

interface Recorded {
  losses: number[];
  tensorCounts: number[];
  gpuBytes: number[];
  checkpoint?: TrainingCheckpoint;
}

function gpuBytes(): number {
  return (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU ?? 0;
}

/** Trains `config` until `stopAfter` steps (a stop, so no evaluation runs), recording every step. */
async function train(config: Lenet5Config, stopAfter: number, resume?: TrainingCheckpoint): Promise<Recorded> {
  const recorded: Recorded = { losses: [], tensorCounts: [], gpuBytes: [] };
  let step = resume?.step ?? 0;
  await experimentTrainers.lenet5.run(
    config,
    {
      emit: (event: ExperimentEvent) => {
        if (event.type !== 'metrics') return;
        step = event.step;
        recorded.losses.push(event.loss);
        recorded.tensorCounts.push(tf.memory().numTensors);
        recorded.gpuBytes.push(gpuBytes());
      },
      shouldStop: () => step >= stopAfter,
      checkpoint: (state) => {
        recorded.checkpoint = state;
      },
    },
    workerEnvironment,
    resume,
  );
  return recorded;
}

function relativeDifferences(actual: number[], expected: number[]): number[] {
  return actual.map((value, index) => Math.abs(value - expected[index]) / Math.abs(expected[index]));
}

function lenet5Config(estimator: Estimator): Lenet5Config {
  return lenet5ConfigSchema.parse({ experiment: 'lenet5', seed: 3, estimator, steps: 50, batchSize: 16, evalDraws: 1 });
}

beforeAll(() => {
  useSoftwareVulkan();
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('training on webgpu replays cpu', () => {
  it('sinusoid, 5 epochs of the default preset (8 weight samples per step): same losses and figures of merit', async () => {
    const config = sinusoidConfigSchema.parse({ ...sinusoidPresets[0].config, epochs: 5, predictiveDraws: 50 });
    const run = async () => {
      const losses: number[] = [];
      const summary = await experimentTrainers.sinusoid.run(
        config,
        {
          emit: (event: ExperimentEvent) => event.type === 'metrics' && losses.push(event.loss),
          shouldStop: () => false,
        },
        workerEnvironment,
      );
      return { losses, summary };
    };
    await tf.setBackend('cpu');
    const cpu = await run();
    await selectBackend('webgpu');
    const webgpu = await run();
    expect(webgpu.losses).toHaveLength(5);
    for (const difference of relativeDifferences(webgpu.losses, cpu.losses))
      expect(difference).toBeLessThan(LOSS_TOLERANCE);
    expect(webgpu.summary.stdRatio as number).toBeCloseTo(cpu.summary.stdRatio as number, 3);
  });

  for (const estimator of ['reparameterization', 'local', 'flipout'] as const) {
    it(`LeNet5 with ${estimator}, 5 steps: same losses; tensor count and GPU bytes flat`, async () => {
      await tf.setBackend('cpu');
      const cpu = await train(lenet5Config(estimator), 5);
      await selectBackend('webgpu');
      const tensorsBefore = tf.memory().numTensors;
      const webgpu = await train(lenet5Config(estimator), 5);
      expect(webgpu.losses).toHaveLength(5);
      for (const difference of relativeDifferences(webgpu.losses, cpu.losses))
        expect(difference).toBeLessThan(LOSS_TOLERANCE);
      // From step 2 on (Adam's moments exist after step 1) nothing accumulates, on the host or the GPU.
      expect(new Set(webgpu.tensorCounts.slice(1)).size).toBe(1);
      expect(new Set(webgpu.gpuBytes.slice(1)).size).toBe(1);
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    });
  }

  it('LeNet5 stopped at step 4 and resumed from its checkpoint to step 8 on webgpu gives the same bits as 8 straight steps', async () => {
    await selectBackend('webgpu');
    const config = lenet5Config('flipout');
    const uninterrupted = await train(config, 8);
    const first = await train(config, 4);
    expect(first.checkpoint?.step).toBe(4);
    const resumed = await train(config, 8, first.checkpoint);
    expect([...first.losses, ...resumed.losses]).toEqual(uninterrupted.losses);
    // The whole state after step 8, not only the losses: Adam's step count, β powers and moments,
    // every variable, the seed stream's position and the batches drawn, bit for bit.
    const straight = uninterrupted.checkpoint!;
    const continued = resumed.checkpoint!;
    expect(continued.step).toBe(8);
    expect(continued.seedStreams).toEqual(straight.seedStreams);
    expect(continued.batchesDrawn).toBe(straight.batchesDrawn);
    const { firstMoments, secondMoments, ...adam } = continued.optimizer;
    const { firstMoments: straightFirst, secondMoments: straightSecond, ...straightAdam } = straight.optimizer;
    expect(adam).toEqual(straightAdam);
    for (const [actual, expected] of [
      [continued.variables, straight.variables],
      [firstMoments, straightFirst],
      [secondMoments, straightSecond],
    ] as const) {
      expect(actual.map((entry) => entry.name)).toEqual(expected.map((entry) => entry.name));
      actual.forEach((entry, index) => expect(entry.values, entry.name).toEqual(expected[index].values));
    }
  });

  it('a product tfjs would split along its inner dimension (float atomics) gives the same bits on every call', async () => {
    // conv1's filter gradient at batch 16: [1 × 25 × 12544] by [1 × 12544 × 6]. tfjs's default
    // program for this shape (MatMulSplitKProgram) adds partial sums with atomics in scheduling
    // order; electron/worker/webgpuDevice.ts makes the webgpu backend use a fixed-order program.
    await selectBackend('webgpu');
    const seeds = new SeedStream(11);
    const [a, b] = [
      [1, 25, 12544],
      [1, 12544, 6],
    ].map((shape) => tf.randomNormal(shape, 0, 1, 'float32', seeds.next()));
    const product = () => tf.tidy(() => tf.matMul(a, b));
    const reference = product();
    const first = await reference.data();
    reference.dispose();
    for (let repeat = 0; repeat < 10; repeat += 1) {
      const again = product();
      expect(await again.data()).toEqual(first);
      again.dispose();
    }
    a.dispose();
    b.dispose();
  });

  it('Monte Carlo evaluation gives the same probabilities', async () => {
    const dataset = await workerEnvironment.loadDataset('mnist');
    const evaluate = async () => {
      const network = lenet5Network(
        { estimator: 'flipout', prior: { kind: 'normal', scale: 1 }, kl: 'analytic', init: { muStd: 0.1, rho: -3.5 } },
        new SeedStream(4),
      );
      try {
        const count = 24;
        return await monteCarloProbabilities({
          network,
          images: dataset.heldout.images.subarray(0, count * PIXELS_PER_IMAGE),
          count,
          imageShape: LENET5_INPUT_SHAPE,
          classes: CLASS_COUNT,
          draws: 3,
          seed: 9,
          chunkSize: 16,
        });
      } finally {
        network.dispose();
      }
    };
    await tf.setBackend('cpu');
    const cpu = await evaluate();
    await selectBackend('webgpu');
    const tensorsBefore = tf.memory().numTensors;
    const webgpu = await evaluate();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    let maxDifference = 0;
    cpu.values.forEach(
      (value, index) => (maxDifference = Math.max(maxDifference, Math.abs(value - webgpu.values[index]))),
    );
    expect(maxDifference).toBeLessThan(1e-4);
  });
});

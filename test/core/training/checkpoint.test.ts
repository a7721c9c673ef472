import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { lenet5ConfigSchema } from '../../../core/contract/runConfig';
import type { ExperimentEvent } from '../../../core/contract/runEvent';
import type { Dataset } from '../../../core/data/dataset';
import { runLenet5 } from '../../../core/experiments/lenet5/trainer';
import { runSinusoid } from '../../../core/experiments/sinusoid/trainer';
import {
  CheckpointError,
  deserializeCheckpoint,
  serializeCheckpoint,
  type TrainingCheckpoint,
} from '../../../core/training/checkpoint';
import { collectTrainerRun, shortSinusoidConfig } from '../../fixtures/trainerRun';
import { useCpuBackend } from '../../fixtures/testBackend';

beforeAll(useCpuBackend);

const example: TrainingCheckpoint = {
  experiment: 'sinusoid',
  step: 200,
  seedStreams: { train: 1600, evaluation: 1000 },
  batchesDrawn: 200,
  variables: [
    { name: 'dense1/kernel/loc', shape: [1, 3], values: new Float32Array([0.5, -1.25, Math.fround(Math.PI)]) },
    { name: 'prior/pi_logit', shape: [], values: new Float32Array([-1.3862943]) },
  ],
  optimizer: {
    kind: 'adam',
    iterations: 200,
    accBeta1: 7.05e-10,
    accBeta2: 0.8185,
    firstMoments: [{ name: 'dense1/kernel/loc', shape: [1, 3], values: new Float32Array([1e-30, -0, 3.4e38]) }],
    secondMoments: [{ name: 'dense1/kernel/loc', shape: [1, 3], values: new Float32Array([1, 2, 3]) }],
  },
};

describe('checkpoint serialisation', () => {
  it('round-trips through a JSON manifest and one float32 binary, bit for bit', () => {
    const { manifest, values } = serializeCheckpoint(example);
    expect(values.byteLength).toBe((3 + 1 + 3 + 3) * 4);
    const restored = deserializeCheckpoint(JSON.parse(JSON.stringify(manifest)), values);
    expect(restored).toEqual(example);
    expect(Object.is(restored.optimizer.firstMoments[0].values[1], -0)).toBe(true);
  });

  it('refuses a binary of the wrong length or content, and a manifest that does not validate', () => {
    const { manifest, values } = serializeCheckpoint(example);
    expect(() => deserializeCheckpoint(manifest, values.subarray(4))).toThrow(/36 bytes; its manifest says 40/);
    const damaged = values.slice();
    damaged[5] ^= 0xff;
    expect(() => deserializeCheckpoint(manifest, damaged)).toThrow(CheckpointError);
    expect(() => deserializeCheckpoint(manifest, damaged)).toThrow(/is damaged/);
    expect(() => deserializeCheckpoint({ ...manifest, step: -1 }, values)).toThrow(/manifest is not valid \(step:/);
    expect(() =>
      serializeCheckpoint({ ...example, variables: [{ name: 'x', shape: [2], values: new Float32Array(3) }] }),
    ).toThrow();
  });
});

const sinusoid = shortSinusoidConfig;

const collect = collectTrainerRun;

describe('resuming from a checkpoint (cpu backend)', { timeout: 60_000 }, () => {
  it('continues a sinusoid run at the right step with exactly the numbers of an uninterrupted run', async () => {
    const config = sinusoid({
      prior: { kind: 'scaleMixture', pi: 0.2, sigma1: 1, sigma2: 0.1, learned: true },
      kl: 'monteCarlo',
    });
    const whole = await collect((hooks, resume) => runSinusoid(config, hooks, undefined, resume));
    expect(whole.checkpoints.map((checkpoint) => checkpoint.step)).toEqual([10, 20, 30, 40]);

    const before = tf.memory().numTensors;
    const first = await collect((hooks, resume) => runSinusoid(config, hooks, undefined, resume), { stopAfter: 25 });
    // The stop is checkpointed too, after the evaluation checkpoints.
    expect(first.checkpoints.map((checkpoint) => checkpoint.step)).toEqual([10, 20, 25]);
    const second = await collect((hooks, resume) => runSinusoid(config, hooks, undefined, resume), {
      resume: first.checkpoints.at(-1),
    });
    expect(tf.memory().numTensors).toBe(before);

    expect(second.metricSteps).toEqual(Array.from({ length: 15 }, (_, i) => 26 + i));
    const loss = (events: ExperimentEvent[], step: number) =>
      events.find((event) => event.type === 'metrics' && event.step === step);
    for (const step of [26, 33, 40]) expect(loss(second.events, step)).toEqual(loss(whole.events, step));
    expect(second.checkpoints.at(-1)).toEqual(whole.checkpoints.at(-1));
    // The learned mixture prior's variables are in it, by stable names.
    expect(whole.checkpoints[0].variables.map((variable) => variable.name)).toContain('prior/pi_logit');
    expect(whole.checkpoints[0].variables.map((variable) => variable.name)).toContain('dense1/kernel/loc');
  });

  it('refuses a checkpoint of another experiment or another network', async () => {
    const config = sinusoid({ epochs: 10 });
    const { checkpoints } = await collect((hooks) => runSinusoid(config, hooks));
    const checkpoint = checkpoints.at(-1)!;
    await expect(
      runSinusoid(
        sinusoid({ epochs: 20, hiddenUnits: [8, 8] }),
        { emit: () => undefined, shouldStop: () => false },
        undefined,
        checkpoint,
      ),
    ).rejects.toThrow(/Checkpoint variable "dense1\/kernel\/loc" has shape \[1,20\]; the network's has \[1,8\]/);
    await expect(
      runSinusoid(config, { emit: () => undefined, shouldStop: () => false }, undefined, {
        ...checkpoint,
        experiment: 'lenet5',
      }),
    ).rejects.toThrow(/checkpoint is of a "lenet5" run/);
  });

  it('continues a LeNet5 run with the same batches and numbers', async () => {
    const images = (count: number, seed: number) =>
      Float32Array.from({ length: count * 784 }, (_, i) => ((i * 7919 + seed) % 255) / 255);
    const labels = (count: number) => Uint8Array.from({ length: count }, (_, i) => i % 10);
    const dataset: Dataset = {
      name: 'synthetic',
      imageSize: 28,
      classes: 10,
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      train: { images: images(40, 1), labels: labels(40), count: 40 },
      heldout: { images: images(20, 2), labels: labels(20), count: 20 },
    };
    const environment = { loadDataset: async () => dataset };
    const config = lenet5ConfigSchema.parse({
      experiment: 'lenet5',
      steps: 8,
      batchSize: 8,
      evalEvery: 4,
      evalDraws: 2,
      evalImages: 10,
      backend: 'cpu',
    });
    const whole = await collect((hooks, resume) => runLenet5(config, hooks, environment, resume));
    const first = await collect((hooks, resume) => runLenet5(config, hooks, environment, resume), { stopAfter: 6 });
    expect(first.checkpoints.map((checkpoint) => [checkpoint.step, checkpoint.batchesDrawn])).toEqual([
      [4, 4],
      [6, 6],
    ]);
    const second = await collect((hooks, resume) => runLenet5(config, hooks, environment, resume), {
      resume: first.checkpoints.at(-1),
    });
    expect(second.metricSteps).toEqual([7, 8]);
    expect(second.checkpoints.at(-1)).toEqual(whole.checkpoints.at(-1));
  });
});

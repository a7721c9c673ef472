import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { sinusoidConfigSchema, type SinusoidConfig } from '../../../core/contract/runConfig';
import type { ExperimentEvent } from '../../../core/contract/runEvent';
import { runSinusoid } from '../../../core/experiments/sinusoid/trainer';
import { sinusoidNetwork } from '../../../core/experiments/sinusoid/network';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import { gaussianNll } from '../../../core/losses/gaussianNll';
import { SeedStream } from '../../../core/random/seedStream';
import { useCpuBackend } from '../../fixtures/testBackend';

beforeAll(useCpuBackend);

const preset = (name: string): SinusoidConfig => sinusoidPresets.find((p) => p.name === name)!.config;
const short = (name: string, overrides: Partial<SinusoidConfig> = {}): SinusoidConfig =>
  sinusoidConfigSchema.parse({
    ...preset(name),
    epochs: 50,
    evalEvery: 25,
    predictiveDraws: 20,
    gridPoints: 60,
    ...overrides,
  });

async function losses(config: SinusoidConfig): Promise<number[]> {
  const events: ExperimentEvent[] = [];
  await runSinusoid(config, { emit: (e) => events.push(e), shouldStop: () => false });
  return events.filter((e) => e.type === 'metrics').map((e) => (e as { loss: number }).loss);
}

describe('gradients', () => {
  it('reach every posterior μ and ρ and the learned mixture prior parameters', () => {
    const network = sinusoidNetwork(preset('seed'), new SeedStream(3));
    const x = tf.tensor2d([-0.4, 0, 0.3], [3, 1]);
    const y = tf.tensor2d([1, 0, -1], [3, 1]);
    const variables = network.trainableVariables;
    // 3 layers × (kernel μ, ρ + bias μ, ρ) + the shared π, σ1, σ2.
    expect(variables).toHaveLength(3 * 4 + 3);
    const { grads } = tf.variableGrads(() => {
      const { output, kl } = network.apply(x, { mode: 'sample', seeds: new SeedStream(5) });
      return tf.add(gaussianNll(y, output, 1), kl) as tf.Scalar;
    }, variables);
    for (const variable of variables) {
      const gradient = grads[variable.name];
      expect(gradient, variable.name).toBeDefined();
      expect(tf.sum(tf.abs(gradient)).dataSync()[0], variable.name).toBeGreaterThan(0);
    }
    Object.values(grads).forEach((g) => g.dispose());
    [x, y].forEach((t) => t.dispose());
    network.dispose();
  });
});

describe('sinusoid training', () => {
  it('keeps the tensor count constant over 50 steps and frees everything at the end', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await runSinusoid(short('seed'), {
      emit: (e) => {
        if (e.type === 'metrics') counts.push(tf.memory().numTensors);
      },
      shouldStop: () => false,
    });
    expect(counts).toHaveLength(50);
    // After Adam has created its moment variables on step 1, nothing may accumulate.
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('replays the same losses for the same seed and differs for another', async () => {
    const first = await losses(short('default', { seed: 11 }));
    const again = await losses(short('default', { seed: 11 }));
    const other = await losses(short('default', { seed: 12 }));
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('stops between steps when asked', async () => {
    let steps = 0;
    const summary = await runSinusoid(short('default'), {
      emit: (e) => {
        if (e.type === 'metrics') steps = e.step;
      },
      shouldStop: () => steps >= 10,
    });
    expect(steps).toBe(10);
    expect(summary.epochs).toBe(10);
  });

  it('fails with the step and a clear reason when the loss diverges', async () => {
    // A learning rate of 1e6 (beyond what the schema lets a user choose) blows the weights up.
    await expect(
      runSinusoid({ ...short('default'), learningRate: 1e6 }, { emit: () => {}, shouldStop: () => false }),
    ).rejects.toThrow(/Training diverged at step \d+/);
  });
});

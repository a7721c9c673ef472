/**
 * A deep ensemble combined after training from deterministic runs (core/methods/combineRuns): what
 * is refused, with what would work; the combined configuration and checkpoint; and, through the
 * network every reader of ensemble runs rebuilds from that checkpoint, that an ensemble of
 * identical members predicts exactly what one member predicts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { lenet5ConfigSchema, type Lenet5Config, type RunConfig } from '../../../core/contract/runConfig';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import { combinedCheckpoint, planCombinedEnsemble, type CombinableRun } from '../../../core/methods/combineRuns';
import { PointModel } from '../../../core/methods/pointModel';
import { lenet5FromCheckpoint, lenet5NetworkOfRun } from '../../../core/ood/checkpointNetwork';
import { SeedStream } from '../../../core/random/seedStream';
import { captureTrainingState } from '../../../core/training/trainingState';
import { useCpuBackend } from '../../fixtures/testBackend';

beforeAll(useCpuBackend);

const deterministic = (seed: number, overrides: Record<string, unknown> = {}): Lenet5Config =>
  lenet5ConfigSchema.parse({ experiment: 'lenet5', method: 'deterministic', steps: 20, seed, ...overrides });
/** A stored run as the plan sees it; `checkpointStep` null: it has no checkpoint yet. */
const run = (id: string, config: RunConfig, checkpointStep: number | null = 20): CombinableRun => ({
  id,
  name: id,
  config,
  ...(checkpointStep === null ? {} : { checkpointStep }),
});

describe('combining deterministic runs into a deep ensemble', () => {
  it('plans an ensemble of the runs: method ensemble, one member per run, the first run’s settings', () => {
    const plan = planCombinedEnsemble([
      run('a', deterministic(0)),
      run('b', deterministic(1)),
      run('c', deterministic(2)),
    ]);
    expect(plan.config).toMatchObject({ experiment: 'lenet5', method: 'ensemble', members: 3, seed: 0, steps: 20 });
    expect(plan.memberIds).toEqual(['a', 'b', 'c']);
    expect(plan.name).toMatch(/deep ensemble of 3 deterministic runs \(seeds 0, 1, 2\)/);
  });

  it('refuses what makes no ensemble, saying what would work', () => {
    const refusal = (runs: CombinableRun[]) => {
      try {
        planCombinedEnsemble(runs);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(refusal([run('a', deterministic(0))])).toMatch(
      /at least 2 member runs \(found 1\).*Select 2 or more deterministic runs/,
    );
    expect(refusal([run('a', deterministic(0)), run('a', deterministic(0))])).toMatch(/named twice/);
    const vi = lenet5ConfigSchema.parse({ experiment: 'lenet5', seed: 1 });
    expect(refusal([run('a', deterministic(0)), run('v', vi)])).toMatch(
      /trained with Mean-field VI; only deterministic runs are combined/,
    );
    const sinusoid = { ...sinusoidPresets[0].config, method: 'deterministic' } as RunConfig;
    expect(refusal([run('s', sinusoid), run('t', { ...sinusoid, seed: 1 })])).toMatch(
      /regression run; combining runs is built for classification.*deep-ensemble method/,
    );
    expect(refusal([run('a', deterministic(0)), run('b', deterministic(1), null)])).toMatch(/has no checkpoint/);
    expect(refusal([run('a', deterministic(0)), run('b', deterministic(1, { learningRate: 0.01 }))])).toMatch(
      /differ in learningRate; an ensemble combines seeds of one configuration/,
    );
  });

  it('of identical members predicts exactly what the one member predicts', async () => {
    const config = deterministic(4);
    const single = lenet5NetworkOfRun(config, new SeedStream(4).fork(1)) as PointModel;
    const optimizer = tf.train.adam(0.001);
    const state = await captureTrainingState(
      { experiment: 'lenet5', variables: single.trainableVariables, optimizer, seedStreams: {} },
      20,
      20,
    );
    optimizer.dispose();
    const combined = combinedCheckpoint([state, state, state]);
    expect(combined.variables.map((entry) => entry.name)).toContain('member3/conv1/kernel');
    const plan = planCombinedEnsemble([run('a', config), run('b', deterministic(5)), run('c', deterministic(6))]);
    const ensemble = lenet5FromCheckpoint(plan.config as Lenet5Config, combined.variables) as PointModel;
    const images = tf.tensor4d(
      Float32Array.from({ length: 6 * 784 }, (_, i) => ((i * 7919) % 255) / 255),
      [6, 28, 28, 1],
    );
    try {
      expect(ensemble.fixedDraws).toBe(3);
      const one = await tf.tidy(() => tf.softmax(single.drawOutput(images, 0, 1))).data();
      const mixture = await tf
        .tidy(() => tf.mean(tf.stack([0, 1, 2].map((member) => tf.softmax(ensemble.drawOutput(images, member, 1)))), 0))
        .data();
      // (p + p + p) / 3 in float32 is p up to the last bit.
      const largest = Math.max(...Array.from(one, (p, i) => Math.abs(p - mixture[i])));
      expect(largest).toBeLessThan(1e-7);
      expect(one.length).toBe(60);
    } finally {
      images.dispose();
      single.dispose();
      ensemble.dispose();
    }
  });
});

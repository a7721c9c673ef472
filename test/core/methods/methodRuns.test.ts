/**
 * The uncertainty methods wired into the experiments' trainers (cpu backend): a point-weight run
 * says which method it is, an ensemble's checkpoint names its members' variables stably and
 * resumes with exactly the numbers of an uninterrupted run, a point LeNet5 run holds its
 * validation split out of training, and nonsense combinations are refused by the configs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { lenet5ConfigSchema, sinusoidConfigSchema } from '../../../core/contract/runConfig';
import type { ExperimentEvent } from '../../../core/contract/runEvent';
import type { Dataset } from '../../../core/data/dataset';
import { drawsOf } from '../../../core/evaluation/monteCarlo';
import { runLenet5 } from '../../../core/experiments/lenet5/trainer';
import { runSinusoid } from '../../../core/experiments/sinusoid/trainer';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import { lenet5FromCheckpoint } from '../../../core/ood/checkpointNetwork';
import { collectTrainerRun, shortSinusoidConfig } from '../../fixtures/trainerRun';
import { useCpuBackend } from '../../fixtures/testBackend';

beforeAll(useCpuBackend);

const sinusoid = shortSinusoidConfig;

const collect = collectTrainerRun;

const syntheticDataset = (): Dataset => {
  const images = (count: number, seed: number) =>
    Float32Array.from({ length: count * 784 }, (_, i) => ((i * 7919 + seed) % 255) / 255);
  const labels = (count: number) => Uint8Array.from({ length: count }, (_, i) => i % 10);
  return {
    name: 'synthetic',
    imageSize: 28,
    classes: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    train: { images: images(40, 1), labels: labels(40), count: 40 },
    heldout: { images: images(20, 2), labels: labels(20), count: 20 },
  };
};

/**
 * One event stream with the ensemble's curves: each step's metrics carry every member's NLL, the
 * reported NLL is their mean, and the mixture's NLL is at most that mean (Jensen: −log mean p ≤ mean −log p).
 */
function expectEnsembleCurves(events: ExperimentEvent[], members: number): void {
  const steps = events.filter((event) => event.type === 'metrics');
  expect(steps.length).toBeGreaterThan(0);
  for (const event of steps) {
    if (event.type !== 'metrics') continue;
    expect(event.memberNll).toHaveLength(members);
    const mean = event.memberNll!.reduce((a, b) => a + b, 0) / members;
    expect(event.nll).toBeCloseTo(mean, 3);
    expect(event.ensembleNll!).toBeLessThanOrEqual(mean + 1e-4 * Math.abs(mean));
  }
}

describe('methods in the trainers (cpu backend)', { timeout: 120_000 }, () => {
  it('trains the sinusoid with every point-weight method, frees every tensor, and names the method', async () => {
    const before = tf.memory().numTensors;
    for (const method of ['deterministic', 'mcDropout', 'ensemble'] as const) {
      const { events, summary } = await collect((hooks, resume) =>
        runSinusoid(sinusoid({ method, members: 3 }), hooks, undefined, resume),
      );
      expect(summary.method).toBe(method);
      const band = events.filter((event) => event.type === 'regression').at(-1)!;
      expect(band.type === 'regression' && band.mean.every(Number.isFinite)).toBe(true);
      if (method === 'deterministic') {
        // No epistemic part: a zero band, whose width ratio is undefined rather than infinite.
        expect(summary.stdRatio).toBeNull();
        expect(band.type === 'regression' && band.std.every((value) => value === 0)).toBe(true);
      } else {
        expect(summary.stdRatio).toBeGreaterThan(0);
      }
      expect(events.some((event) => event.type === 'posterior')).toBe(false);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('resumes a sinusoid ensemble exactly, its checkpoint naming each member', async () => {
    const config = sinusoid({ method: 'ensemble', members: 2 });
    const whole = await collect((hooks, resume) => runSinusoid(config, hooks, undefined, resume));
    expectEnsembleCurves(whole.events, 2);
    const names = whole.checkpoints[0].variables.map((variable) => variable.name);
    expect(names).toContain('member1/dense1/kernel');
    expect(names).toContain('member2/dense3/bias');
    const first = await collect((hooks, resume) => runSinusoid(config, hooks, undefined, resume), { stopAfter: 25 });
    const second = await collect((hooks, resume) => runSinusoid(config, hooks, undefined, resume), {
      resume: first.checkpoints.at(-1),
    });
    const metricsAt = (events: ExperimentEvent[], step: number) =>
      events.find((event) => event.type === 'metrics' && event.step === step);
    for (const step of [26, 33, 40]) expect(metricsAt(second.events, step)).toEqual(metricsAt(whole.events, step));
    expect(second.checkpoints.at(-1)).toEqual(whole.checkpoints.at(-1));
    expect(second.summary.rmseInside).toBe(whole.summary.rmseInside);
  });

  it('resumes a LeNet5 ensemble exactly, holds out its validation split, and rebuilds it from the checkpoint', async () => {
    const dataset = syntheticDataset();
    const environment = { loadDataset: async () => dataset };
    const config = lenet5ConfigSchema.parse({
      experiment: 'lenet5',
      method: 'ensemble',
      members: 2,
      steps: 8,
      batchSize: 8,
      evalEvery: 4,
      evalDraws: 2,
      evalImages: 10,
      backend: 'cpu',
    });
    const whole = await collect((hooks, resume) => runLenet5(config, hooks, environment, resume));
    expect(whole.summary).toMatchObject({ method: 'ensemble', members: 2, validationFraction: 0.1, trainImages: 36 });
    expect(typeof whole.summary.brier).toBe('number');
    expect(typeof whole.summary.aurc).toBe('number');
    const heldout = whole.events.filter((event) => event.type === 'heldout').at(-1)!;
    // Held-out metrics average the M members, not T draws.
    expect(heldout.type === 'heldout' && heldout.draws).toBe(2);
    expectEnsembleCurves(whole.events, 2);
    // The held-out event carries the risk–coverage curve whose area is its AURC.
    if (heldout.type !== 'heldout') throw new Error('no held-out event');
    const curve = heldout.riskCoverage!;
    expect(curve.coverage.at(-1)).toBe(1);
    expect(curve.risk.reduce((a, b) => a + b, 0) / curve.risk.length).toBeCloseTo(heldout.aurc!, 4);
    expect(whole.events.some((event) => event.type === 'posterior')).toBe(false);

    const first = await collect((hooks, resume) => runLenet5(config, hooks, environment, resume), { stopAfter: 6 });
    const second = await collect((hooks, resume) => runLenet5(config, hooks, environment, resume), {
      resume: first.checkpoints.at(-1),
    });
    expect(second.checkpoints.at(-1)).toEqual(whole.checkpoints.at(-1));
    expect(second.summary.heldoutNats).toBe(whole.summary.heldoutNats);

    const rebuilt = lenet5FromCheckpoint(config, whole.checkpoints.at(-1)!.variables);
    try {
      expect(drawsOf(rebuilt, 50)).toBe(2);
    } finally {
      rebuilt.dispose();
    }
  });

  it('refuses nonsense combinations in the configs, with what would work', () => {
    const lenet5 = (overrides: Record<string, unknown>) =>
      lenet5ConfigSchema.safeParse({ experiment: 'lenet5', ...overrides });
    const message = (result: ReturnType<typeof lenet5>) =>
      result.success ? '' : result.error.issues.map((issue) => issue.message).join(' ');
    expect(message(lenet5({ method: 'ensemble', members: 1 }))).toMatch(/at least 2 members.*deterministic method/);
    expect(message(lenet5({ method: 'mcDropout', dropout: 1 }))).toMatch(/dropout rate must be in \[0, 1\)/);
    expect(message(lenet5({ method: 'laplace' }))).toMatch(/applied to a stored run after training/);
    expect(message(lenet5({ method: 'nope' }))).toMatch(/no method called "nope"/);
    expect(lenet5({}).success && lenet5({}).data?.method).toBe('vi');
    const regression = sinusoidConfigSchema.safeParse({
      ...sinusoidPresets[0].config,
      method: 'temperatureScaling',
    });
    expect(regression.success).toBe(false);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { lenet5ConfigSchema } from '../../core/contract/runConfig';
import type { ExperimentEvent } from '../../core/contract/runEvent';
import { runLenet5 } from '../../core/experiments/lenet5/trainer';
import { workerEnvironment } from '../../electron/worker/datasetFiles';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

describe('Bayesian LeNet5 on the bundled MNIST digits (wasm)', () => {
  it('reaches ≥ 85 % held-out accuracy in 300 steps, streams its evaluations, and leaks no tensors', async () => {
    const config = lenet5ConfigSchema.parse({
      experiment: 'lenet5',
      steps: 300,
      evalEvery: 150,
      evalDraws: 10,
      seed: 0,
    });
    const events: ExperimentEvent[] = [];
    const tensorCounts: number[] = [];
    const before = tf.memory().numTensors;
    const summary = await runLenet5(
      config,
      {
        emit: (event) => {
          events.push(event);
          if (event.type === 'metrics') tensorCounts.push(tf.memory().numTensors);
        },
        shouldStop: () => false,
      },
      workerEnvironment,
    );
    // Flat across steps and across the evaluation at step 150 (Adam's moments exist from step 1).
    expect(new Set(tensorCounts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);

    const heldout = events.filter((e) => e.type === 'heldout');
    const posterior = events.filter((e) => e.type === 'posterior');
    expect(heldout.map((e) => e.step)).toEqual([150, 300]);
    expect(posterior.map((e) => e.step)).toEqual([150, 300]);
    const last = heldout[1];
    if (last.type !== 'heldout') throw new Error('unreachable');
    expect(last.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(last.images).toBe(1000);
    expect(last.heldoutNats).toBeLessThan(0);
    expect(last.reliability).toHaveLength(15);
    expect(last.reliability.reduce((sum, bin) => sum + bin.count, 0)).toBe(1000);
    expect(last.panel.filter((p) => p.kind === 'heldout')).toHaveLength(10);
    expect(last.panel.filter((p) => p.kind === 'noise')).toHaveLength(10);
    expect(last.panel[0].drawProbabilities).toHaveLength(10);
    const lastPosterior = posterior[1];
    if (lastPosterior.type !== 'posterior') throw new Error('unreachable');
    expect(lastPosterior.layers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'conv3', 'dense1', 'dense2']);
    for (const layer of lastPosterior.layers) {
      expect(layer.muHistogram.counts.reduce((a, b) => a + b, 0)).toBe(layer.weights);
      expect(layer.sigmaHistogram.counts).toHaveLength(50);
    }
    expect(summary.heldoutAccuracy).toBe(last.accuracy);
    expect(summary.klWeight).toBeCloseTo(1 / 9000, 12);
    expect(events.filter((e) => e.type === 'metrics')).toHaveLength(300);
  }, 240_000);
});

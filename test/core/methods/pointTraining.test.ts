import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeepEnsemble } from '../../../core/methods/ensemble';
import {
  classificationMapLoss,
  ensembleClassificationLoss,
  ensembleRegressionLoss,
  type PointLoss,
} from '../../../core/methods/pointLosses';
import { pointMlpNetwork } from '../../../core/models/pointNetworks';
import { SeedStream, standardNormal } from '../../../core/random/seedStream';
import { useCpuBackend } from '../../fixtures/testBackend';

beforeAll(useCpuBackend);

/** 90 points in three Gaussian blobs (centres 3 apart, σ = 0.6): nearly separable. */
function blobs() {
  const stream = new SeedStream(2);
  const centres = [
    [0, 0],
    [3, 0],
    [0, 3],
  ];
  const points: number[] = [];
  const labels: number[] = [];
  for (let n = 0; n < 90; n += 1) {
    const label = n % 3;
    points.push(centres[label][0] + 0.6 * standardNormal(stream), centres[label][1] + 0.6 * standardNormal(stream));
    labels.push(label);
  }
  return { x: tf.tensor2d(points, [90, 2]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), 3), labels };
}

/** Full-batch Adam; returns the first and last loss and the tensor counts after the first and last step. */
function train(variables: tf.Variable[], lossOf: () => PointLoss, steps: number) {
  const optimizer = tf.train.adam(0.05);
  const losses: number[] = [];
  const tensorCounts: number[] = [];
  for (let step = 0; step < steps; step += 1) {
    const loss = optimizer.minimize(
      () => {
        const { loss: value, memberNll } = lossOf();
        memberNll.dispose();
        return value;
      },
      true,
      variables,
    )!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
    tensorCounts.push(tf.memory().numTensors);
  }
  optimizer.dispose();
  return { first: losses[0], last: losses[losses.length - 1], tensorCounts };
}

const accuracy = (probabilities: tf.Tensor, labels: number[]) => {
  const predicted = tf.tidy(() => tf.argMax(probabilities, -1)).dataSync();
  return labels.filter((label, n) => predicted[n] === label).length / labels.length;
};

describe('training the point-weight methods (tiny synthetic problems)', () => {
  it('fits the deterministic and the MC-dropout network, tensors flat across steps', () => {
    const { x, y, labels } = blobs();
    for (const dropoutRate of [undefined, 0.2]) {
      const network = pointMlpNetwork({ inputUnits: 2, hiddenUnits: [16], outputs: 3, dropoutRate }, new SeedStream(1));
      const seeds = new SeedStream(3);
      const result = train(
        network.trainableVariables,
        () => classificationMapLoss(network, x, y, 1e-3, { mode: 'sample', seeds }),
        150,
      );
      expect(result.last).toBeLessThan(0.5 * result.first);
      expect(result.tensorCounts[result.tensorCounts.length - 1]).toBe(result.tensorCounts[0]);
      // The predictive: one pass (deterministic) or the mean of 20 masked passes (MC dropout).
      const probabilities = tf.tidy(() => {
        const passes = dropoutRate === undefined ? 1 : 20;
        const predictSeeds = new SeedStream(4);
        return tf.mean(
          tf.stack(
            Array.from({ length: passes }, () => tf.softmax(network.apply(x, { mode: 'draw', seeds: predictSeeds }))),
          ),
          0,
        );
      });
      // Blobs 3σ/0.6 = 5σ apart: a fitted net classifies nearly all training points.
      expect(accuracy(probabilities, labels)).toBeGreaterThan(0.9);
      probabilities.dispose();
      network.dispose();
    }
    tf.dispose([x, y]);
  });

  it('trains each ensemble member on its own loss and reports per-member NLLs', () => {
    const { x, y, labels } = blobs();
    const ensemble = new DeepEnsemble(
      3,
      (seeds, m) =>
        pointMlpNetwork({ inputUnits: 2, hiddenUnits: [16], outputs: 3, namePrefix: `member${m + 1}/` }, seeds),
      new SeedStream(5),
    );
    const context = { mode: 'sample' as const, seeds: new SeedStream(0) };
    const before = ensembleClassificationLoss(ensemble, x, y, 1e-3, context);
    expect(before.memberNll.shape).toEqual([3]);
    const initial = Array.from(before.memberNll.dataSync());
    tf.dispose([before.loss, before.memberNll]);
    train(ensemble.trainableVariables, () => ensembleClassificationLoss(ensemble, x, y, 1e-3, context), 150);
    const after = ensembleClassificationLoss(ensemble, x, y, 1e-3, context);
    Array.from(after.memberNll.dataSync()).forEach((nll, m) => expect(nll).toBeLessThan(0.5 * initial[m]));
    const mixture = tf.tidy(() => tf.mean(ensemble.classProbabilities(x, context), 0));
    expect(accuracy(mixture, labels)).toBeGreaterThan(0.9);
    tf.dispose([after.loss, after.memberNll, mixture, x, y]);
    ensemble.dispose();
  });

  it('fits mean–variance members to heteroscedastic noise', () => {
    // y = x + ε, ε ~ N(0, (0.1 + 0.5·[x > 0])²): members must learn a larger variance on the right.
    const stream = new SeedStream(7);
    const xs = Array.from({ length: 64 }, (_, i) => -1 + (2 * i) / 63);
    const ys = xs.map((x) => x + (x > 0 ? 0.6 : 0.1) * standardNormal(stream));
    const x = tf.tensor2d(xs, [64, 1]);
    const y = tf.tensor1d(ys);
    const ensemble = new DeepEnsemble(
      2,
      (seeds, m) =>
        pointMlpNetwork({ inputUnits: 1, hiddenUnits: [16], outputs: 2, namePrefix: `member${m + 1}/` }, seeds),
      new SeedStream(8),
    );
    const context = { mode: 'sample' as const, seeds: new SeedStream(0) };
    const result = train(ensemble.trainableVariables, () => ensembleRegressionLoss(ensemble, x, y, 1e-4, context), 200);
    expect(result.last).toBeLessThan(result.first);
    const probe = tf.tensor2d([[-0.5], [0.5]]);
    const predictive = ensemble.regressionPredictive(probe, context);
    const [left, right] = Array.from(predictive.variance.dataSync());
    // True variances 0.01 and 0.36 (fitted here: 0.012 and 0.289): demand a clear, ordered gap.
    expect(right).toBeGreaterThan(4 * left);
    tf.dispose([x, y, probe, predictive.mean, predictive.variance, predictive.epistemicVariance]);
    ensemble.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Conv2DFlipout, Conv2DReparameterization } from '../../../core/layers/conv2dVariational';
import {
  DenseFlipout,
  DenseLocalReparameterization,
  DenseReparameterization,
  perExampleSigns,
  randomSigns,
} from '../../../core/layers/denseVariational';
import type { VariationalLayer } from '../../../core/layers/variationalLayer';
import { meanFieldNormalPosterior } from '../../../core/posteriors/meanFieldNormal';
import { fixedNormalPrior } from '../../../core/priors/fixedNormal';
import { SeedStream } from '../../../core/random/seedStream';
import { useCpuBackend } from '../../fixtures/testBackend';

beforeAll(useCpuBackend);

const layerArgs = {
  makePosterior: meanFieldNormalPosterior({ muStd: 0.3, rho: -1 }),
  makePrior: fixedNormalPrior(1),
  klForm: 'analytic' as const,
};

/**
 * Gradient samples of a fixed mini-batch loss with respect to the kernel's μ and ρ, one per seed.
 * The loss is the mean over the batch of a per-example squared error, so Flipout's per-example
 * decorrelation should show as a lower variance of the batch-mean gradient.
 */
function gradientSamples(
  layer: VariationalLayer,
  input: tf.Tensor,
  target: tf.Tensor,
  samples: number,
): { mu: number[][]; rho: number[][] } {
  const { kernel } = layer.weights();
  const mu: number[][] = [];
  const rho: number[][] = [];
  for (let s = 0; s < samples; s += 1) {
    const { grads } = tf.variableGrads(() => {
      const { output } = layer.apply(input, { mode: 'sample', seeds: new SeedStream(1000 + s) });
      return tf.mean(tf.square(tf.sub(output, target))) as tf.Scalar;
    }, [kernel.posterior.loc, kernel.posterior.rho]);
    mu.push(Array.from(grads[kernel.posterior.loc.name].dataSync()));
    rho.push(Array.from(grads[kernel.posterior.rho.name].dataSync()));
    Object.values(grads).forEach((g) => g.dispose());
  }
  return { mu, rho };
}

function columnStatistics(rows: number[][]): { mean: number[]; variance: number[] } {
  const n = rows.length;
  const mean = rows[0].map((_, j) => rows.reduce((sum, row) => sum + row[j], 0) / n);
  const variance = rows[0].map((_, j) => rows.reduce((sum, row) => sum + (row[j] - mean[j]) ** 2, 0) / (n - 1));
  return { mean, variance };
}

function compareEstimators(
  flipout: { mu: number[][]; rho: number[][] },
  reference: { mu: number[][]; rho: number[][] },
) {
  const result = { largeZFraction: 0, varianceRatio: 0 };
  let largeZ = 0,
    total = 0,
    flipoutVariance = 0,
    referenceVariance = 0;
  for (const key of ['mu', 'rho'] as const) {
    const f = columnStatistics(flipout[key]);
    const r = columnStatistics(reference[key]);
    const n = flipout[key].length;
    f.mean.forEach((meanF, j) => {
      const standardError = Math.sqrt(f.variance[j] / n + r.variance[j] / n);
      if (Math.abs(meanF - r.mean[j]) > 3 * standardError) largeZ += 1;
      total += 1;
      flipoutVariance += f.variance[j];
      referenceVariance += r.variance[j];
    });
  }
  result.largeZFraction = largeZ / total;
  result.varianceRatio = flipoutVariance / referenceVariance;
  return result;
}

describe('Flipout gradient estimator', () => {
  it('dense: agrees in mean with reparameterization and has lower variance on a fixed batch', () => {
    const input = tf.randomNormal([64, 6], 0, 1, 'float32', 1);
    const target = tf.randomNormal([64, 4], 0, 1, 'float32', 2);
    const flipout = new DenseFlipout({ ...layerArgs, name: 'flip', units: 4 }).buildFor(6, 42);
    const reparameterization = new DenseReparameterization({ ...layerArgs, name: 'reparam', units: 4 }).buildFor(6, 42);
    // Same seed → the same initial μ, ρ: both estimate the gradient of the same expected loss.
    expect(Array.from(flipout.weights().kernel.posterior.loc.dataSync())).toEqual(
      Array.from(reparameterization.weights().kernel.posterior.loc.dataSync()),
    );
    const samples = 400;
    const comparison = compareEstimators(
      gradientSamples(flipout, input, target, samples),
      gradientSamples(reparameterization, input, target, samples),
    );
    // Unbiased: with 48 parameters, |z| > 3 should almost never happen (0.27 % each under the null).
    expect(comparison.largeZFraction).toBeLessThanOrEqual(2 / 48);
    // Flipout decorrelates 64 examples: the batch-mean gradient variance drops well below half.
    expect(comparison.varianceRatio).toBeLessThan(0.5);
    [input, target].forEach((t) => t.dispose());
    flipout.dispose();
    reparameterization.dispose();
  }, 60_000);

  it('conv: agrees in mean with reparameterization and has lower variance on a fixed batch', () => {
    const input = tf.randomNormal([32, 6, 6, 2], 0, 1, 'float32', 3);
    const target = tf.randomNormal([32, 2, 2, 3], 0, 1, 'float32', 4);
    const convArgs = { ...layerArgs, filters: 3, kernelSize: 5, padding: 'valid' as const };
    const flipout = new Conv2DFlipout({ ...convArgs, name: 'flip' }).buildFor(2, 7);
    const reparameterization = new Conv2DReparameterization({ ...convArgs, name: 'reparam' }).buildFor(2, 7);
    const samples = 300;
    const comparison = compareEstimators(
      gradientSamples(flipout, input, target, samples),
      gradientSamples(reparameterization, input, target, samples),
    );
    expect(comparison.largeZFraction).toBeLessThanOrEqual(0.02); // 300 parameters: expect ~1 at |z| > 3
    expect(comparison.varianceRatio).toBeLessThan(0.5);
    [input, target].forEach((t) => t.dispose());
    flipout.dispose();
    reparameterization.dispose();
  }, 60_000);
});

describe('local reparameterization', () => {
  it('has the pre-activation mean and variance of the weight posterior', () => {
    const layer = new DenseLocalReparameterization({ ...layerArgs, name: 'local', units: 1 }).buildFor(3, 5);
    const x = tf.tensor2d([[1, -2, 0.5]]);
    const tiled = tf.tile(x, [20000, 1]);
    const { output } = layer.apply(tiled, { mode: 'sample', seeds: new SeedStream(9) });
    const values = Array.from(output.dataSync());
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
    const { kernel, bias } = layer.weights();
    const expectedMean = tf.tidy(() => tf.add(tf.matMul(x, kernel.posterior.loc), bias.posterior.loc).dataSync()[0]);
    const expectedVariance = tf.tidy(
      () =>
        tf
          .add(tf.matMul(tf.square(x), tf.square(kernel.posterior.scale())), tf.square(bias.posterior.scale()))
          .dataSync()[0],
    );
    // 20,000 samples: the mean is within ~4 standard errors, the variance within ~5 %.
    expect(Math.abs(mean - expectedMean)).toBeLessThan(4 * Math.sqrt(expectedVariance / values.length));
    expect(variance / expectedVariance).toBeGreaterThan(0.95);
    expect(variance / expectedVariance).toBeLessThan(1.05);
    [x, tiled, output].forEach((t) => t.dispose());
    layer.dispose();
  });
});

describe('Flipout signs', () => {
  it("are exactly 2·step(u) − 1 of the seed's uniform draw, whole and sliced into a batch's rows", () => {
    const shape = [9, 5];
    const reference = tf.tidy(() =>
      tf.sub(tf.mul(tf.step(tf.randomUniform(shape, -1, 1, 'float32', 17)), 2), 1).arraySync(),
    ) as number[][];
    const whole = randomSigns(shape, 17);
    expect(whole.arraySync()).toEqual(reference);
    const context = { mode: 'sample' as const, seeds: new SeedStream(0), batchSlice: { start: 3, fullSize: 9 } };
    const rows = perExampleSigns([4, 5], 17, context);
    expect(rows.arraySync()).toEqual(reference.slice(3, 7));
    expect(new Set(whole.dataSync())).toEqual(new Set([1, -1]));
    expect(() => perExampleSigns([7, 5], 17, context)).toThrow(/does not fit in a batch of 9/);
    tf.dispose([whole, rows]);
  });
});

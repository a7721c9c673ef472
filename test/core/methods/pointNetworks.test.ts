import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DenseDeterministic, Conv2DDeterministic } from '../../../core/layers/deterministic';
import { McDropout } from '../../../core/layers/dropout';
import {
  DeepEnsemble,
  gaussianHead,
  heteroscedasticGaussianNll,
  mixClassProbabilities,
  mixGaussians,
} from '../../../core/methods/ensemble';
import { fitLastLayerCurvature } from '../../../core/methods/laplace';
import { lastLayerFeatures, lastLayerMap, networkOutputs } from '../../../core/methods/networkOutputs';
import { pointLenet5Network, pointMlpNetwork } from '../../../core/models/pointNetworks';
import { PointSequential, type PointStage } from '../../../core/models/pointSequential';
import { SeedStream } from '../../../core/random/seedStream';
import { useCpuBackend } from '../../fixtures/testBackend';

beforeAll(useCpuBackend);

/** Dense(8, relu) → Dense(outputs), optionally with MC dropout before each weight layer. */
function smallNetwork(seed: number, dropoutRate: number | null, outputs = 3, prefix = ''): PointSequential {
  const seeds = new SeedStream(seed);
  const dense1 = new DenseDeterministic({ name: `${prefix}dense1`, units: 8, activation: 'relu' }).buildFor(
    4,
    seeds.next(),
  );
  const dense2 = new DenseDeterministic({ name: `${prefix}dense2`, units: outputs }).buildFor(8, seeds.next());
  const stages: PointStage[] =
    dropoutRate === null
      ? [dense1, dense2]
      : [
          new McDropout({ name: 'drop1', rate: dropoutRate }),
          dense1,
          new McDropout({ name: 'drop2', rate: dropoutRate }),
          dense2,
        ];
  return new PointSequential(stages);
}

const input = () =>
  tf.tensor2d(
    Array.from({ length: 20 }, (_, i) => Math.sin(i + 1)),
    [5, 4],
  );

describe('MC dropout', () => {
  it('with rate 0 equals the deterministic network exactly, in every mode', () => {
    const plain = smallNetwork(3, null);
    const dropout = smallNetwork(3, 0);
    const x = input();
    for (const mode of ['sample', 'draw', 'mean'] as const) {
      const expected = plain.apply(x, { mode, seeds: new SeedStream(1) });
      const actual = dropout.apply(x, { mode, seeds: new SeedStream(1) });
      expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
      tf.dispose([expected, actual]);
    }
    tf.dispose(x);
    plain.dispose();
    dropout.dispose();
  });

  it('keeps masks on at prediction time, replays them from the seed and is unbiased', () => {
    const layer = new McDropout({ name: 'drop', rate: 0.3 });
    const ones = tf.ones([200, 50]);
    const first = layer.apply(ones, { mode: 'draw', seeds: new SeedStream(5) });
    const replay = layer.apply(ones, { mode: 'draw', seeds: new SeedStream(5) });
    const other = layer.apply(ones, { mode: 'draw', seeds: new SeedStream(6) });
    const values = first.dataSync();
    expect(Array.from(replay.dataSync())).toEqual(Array.from(values));
    expect(Array.from(other.dataSync())).not.toEqual(Array.from(values));
    const kept = values.filter((value) => value !== 0);
    // Inverted dropout: kept units are scaled by 1 / (1 − r).
    for (const value of kept) expect(value).toBeCloseTo(1 / 0.7, 5);
    // 10,000 Bernoulli(0.7) draws: SE of the kept fraction = √(0.21 / 10⁴) ≈ 0.0046; 4 SE = 0.018.
    expect(Math.abs(kept.length / values.length - 0.7)).toBeLessThan(0.018);
    const mean = layer.apply(ones, { mode: 'mean', seeds: new SeedStream(5) });
    expect(mean).toBe(ones);
    tf.dispose([ones, first, replay, other]);
    expect(() => new McDropout({ name: 'drop', rate: 1 })).toThrow(
      'The dropout rate of "drop" must be in [0, 1), found 1; 0 keeps every unit.',
    );
  });
});

describe('point networks', () => {
  it('exposes the features of the last layer, ½ Σ w² and its parameter count', () => {
    const network = smallNetwork(4, 0.2);
    const x = input();
    const context = { mode: 'mean' as const, seeds: new SeedStream(0) };
    const features = network.features(x, context);
    const fromFeatures = network.lastLayer.apply(features);
    const output = network.apply(x, context);
    expect(features.shape).toEqual([5, 8]);
    expect(Array.from(fromFeatures.dataSync())).toEqual(Array.from(output.dataSync()));
    expect(network.parameterCount).toBe(4 * 8 + 8 + 8 * 3 + 3);
    const byHand =
      network.trainableVariables.reduce(
        (sum, variable) => sum + Array.from(variable.dataSync()).reduce((s, w) => s + w * w, 0),
        0,
      ) / 2;
    const penalty = network.l2Penalty();
    // float32 sums of 67 squares: ~1e-6 relative.
    expect(penalty.dataSync()[0]).toBeCloseTo(byHand, 4);
    tf.dispose([x, features, fromFeatures, output, penalty]);
    network.dispose();
  });

  it('builds a convolution with point weights and refuses input of the wrong rank', () => {
    const conv = new Conv2DDeterministic({
      name: 'conv',
      filters: 2,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
    }).buildFor(1, 7);
    const image = tf.ones([1, 4, 4, 1]);
    const output = conv.apply(image);
    expect(output.shape).toEqual([1, 4, 4, 2]);
    expect(() => conv.apply(tf.ones([4, 4]))).toThrow('Layer "conv" expects NHWC input of rank 4; found shape [4, 4].');
    tf.dispose([image, output]);
    conv.dispose();
  });
});

describe('deep ensemble', () => {
  it('of identical members equals one member (classification and regression)', () => {
    const x = input();
    const context = { mode: 'mean' as const, seeds: new SeedStream(0) };
    const single = smallNetwork(9, null);
    const ensemble = new DeepEnsemble(3, (_, m) => smallNetwork(9, null, 3, `member${m + 1}/`), new SeedStream(1));
    const memberProbabilities = ensemble.classProbabilities(x, context);
    const mixture = mixClassProbabilities(memberProbabilities);
    const alone = tf.tidy(() => tf.softmax(single.apply(x, context)));
    // Mean of three equal float32 numbers: exact up to one rounding of the sum and the division.
    Array.from(mixture.dataSync()).forEach((p, i) => expect(p).toBeCloseTo(alone.dataSync()[i], 7));
    tf.dispose([memberProbabilities, mixture, alone]);
    single.dispose();
    ensemble.dispose();

    const singleRegression = smallNetwork(11, null, 2);
    const regressionEnsemble = new DeepEnsemble(
      4,
      (_, m) => smallNetwork(11, null, 2, `member${m + 1}/`),
      new SeedStream(1),
    );
    const predictive = regressionEnsemble.regressionPredictive(x, context);
    const head = tf.tidy(() => gaussianHead(singleRegression.apply(x, context)));
    Array.from(predictive.mean.dataSync()).forEach((mu, i) => expect(mu).toBeCloseTo(head.mean.dataSync()[i], 6));
    Array.from(predictive.variance.dataSync()).forEach((variance, i) =>
      expect(variance / head.variance.dataSync()[i]).toBeCloseTo(1, 6),
    );
    Array.from(predictive.epistemicVariance.dataSync()).forEach((variance) => expect(variance).toBeLessThan(1e-12));
    tf.dispose([predictive.mean, predictive.variance, predictive.epistemicVariance, head.mean, head.variance, x]);
    singleRegression.dispose();
    regressionEnsemble.dispose();
  });

  it('refuses members whose variables share a name (checkpoints key variables by name), freeing what it built', () => {
    const before = tf.memory().numTensors;
    expect(() => new DeepEnsemble(2, (seeds) => smallNetwork(seeds.next(), null), new SeedStream(1))).toThrow(
      'Two ensemble members have a variable named "dense1/kernel"; give each member its own name prefix (e.g. "member2/").',
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('mixes Gaussians as μ* = mean μ_m and σ*² = mean(σ_m² + μ_m²) − μ*²', () => {
    const means = tf.tensor2d([
      [1, -2],
      [3, 0],
      [2, 5],
    ]);
    const variances = tf.tensor2d([
      [0.5, 1],
      [1.5, 2],
      [1, 0.25],
    ]);
    const { mean, variance, epistemicVariance } = mixGaussians(means, variances);
    // Column 0: μ* = 2, mean(σ² + μ²) = (1.5 + 10.5 + 5) / 3 = 17/3 → σ*² = 17/3 − 4 = 5/3
    // Column 1: μ* = 1, mean(σ² + μ²) = (5 + 2 + 25.25) / 3 = 32.25/3 → σ*² = 10.75 − 1 = 9.75
    // tf.mean multiplies by the float32 1/3: one rounding.
    expect(Array.from(mean.dataSync())).toEqual([2, 1].map((value) => expect.closeTo(value, 6)));
    expect(variance.dataSync()[0]).toBeCloseTo(5 / 3, 5);
    expect(variance.dataSync()[1]).toBeCloseTo(9.75, 5);
    expect(epistemicVariance.dataSync()[0]).toBeCloseTo(2 / 3, 5);
    tf.dispose([means, variances, mean, variance, epistemicVariance]);
  });

  it('trains members on the Gaussian NLL with a softplus variance', () => {
    const raw = tf.tensor2d([
      [1, 0],
      [0, 2],
    ]);
    const { mean, variance } = gaussianHead(raw);
    const softplus = (v: number) => Math.log1p(Math.exp(v));
    expect(variance.dataSync()[0]).toBeCloseTo(softplus(0) + 1e-6, 6);
    const targets = tf.tensor1d([2, -1]);
    const nll = heteroscedasticGaussianNll(targets, mean, variance);
    const byHand =
      [
        [2, 1, softplus(0) + 1e-6],
        [-1, 0, softplus(2) + 1e-6],
      ].reduce((sum, [y, mu, v]) => sum + 0.5 * (Math.log(2 * Math.PI * v) + (y - mu) ** 2 / v), 0) / 2;
    expect(nll.dataSync()[0]).toBeCloseTo(byHand, 5);
    tf.dispose([raw, mean, variance, targets, nll]);
  });

  it('does not grow the tensor count across repeated predictions', () => {
    const x = input();
    const dropoutNetwork = smallNetwork(2, 0.5);
    const ensemble = new DeepEnsemble(
      2,
      (seeds, m) => smallNetwork(seeds.next(), 0.1, 2, `member${m + 1}/`),
      new SeedStream(3),
    );
    const once = () => {
      const output = dropoutNetwork.apply(x, { mode: 'draw', seeds: new SeedStream(1) });
      const predictive = ensemble.regressionPredictive(x, { mode: 'sample', seeds: new SeedStream(2) });
      const penalty = ensemble.l2Penalty();
      tf.dispose([output, predictive.mean, predictive.variance, predictive.epistemicVariance, penalty]);
    };
    once();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i += 1) once();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    dropoutNetwork.dispose();
    ensemble.dispose();
  });
});

describe('network outputs for the post-hoc methods', () => {
  it('gives last-layer features and weights that reproduce the logits, chunk by chunk, without leaking tensors', () => {
    const network = smallNetwork(12, 0.3);
    const values = Float32Array.from({ length: 7 * 4 }, (_, i) => Math.cos(i));
    const inputs = { values, count: 7, inputShape: [4], chunkSize: 3 };
    const before = tf.memory().numTensors;
    const features = lastLayerFeatures(network, inputs);
    const logits = networkOutputs(network, inputs);
    expect(tf.memory().numTensors).toBe(before);
    expect(features.featureCount).toBe(8);
    expect(logits.width).toBe(3);
    const map = lastLayerMap(network);
    const laplace = fitLastLayerCurvature(
      map,
      { ...features, observations: { kind: 'classification', labels: [0, 1, 2, 0, 1, 2, 0] } },
      'kron',
      1,
    );
    const { logits: fromFeatures } = laplace.project(features);
    // float64 φW + b against the float32 network: float32 rounding of a sum of 8 products.
    Array.from(logits.values).forEach((value, j) => expect(fromFeatures[j]).toBeCloseTo(value, 5));
    network.dispose();
  });
});

describe('point networks of the two workloads', () => {
  it('builds LeNet5 with the variational layer list and dropout before each weight layer only when asked', () => {
    const plain = pointLenet5Network({}, new SeedStream(0));
    const dropout = pointLenet5Network({ dropoutRate: 0.1 }, new SeedStream(0));
    // conv 5·5·1·6+6, 5·5·6·16+16, 5·5·16·120+120, dense 120·84+84, 84·10+10
    expect(plain.parameterCount).toBe(156 + 2416 + 48120 + 10164 + 850);
    expect(plain.stages.filter((stage) => stage instanceof McDropout)).toHaveLength(0);
    expect(dropout.stages.filter((stage) => stage instanceof McDropout)).toHaveLength(5);
    const images = tf.zeros([2, 28, 28, 1]);
    const logits = dropout.apply(images, { mode: 'draw', seeds: new SeedStream(1) });
    expect(logits.shape).toEqual([2, 10]);
    tf.dispose([images, logits]);
    plain.dispose();
    dropout.dispose();
    const mlp = pointMlpNetwork(
      { inputUnits: 1, hiddenUnits: [20, 20], outputs: 2, namePrefix: 'member3/' },
      new SeedStream(0),
    );
    expect(mlp.parameterCount).toBe(40 + 420 + 42);
    expect(mlp.trainableVariables[0].name).toMatch(/^member3\/dense1\/kernel/);
    mlp.dispose();
  });
});

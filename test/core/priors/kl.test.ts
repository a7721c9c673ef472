import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { centredNormalKlSum, normalKl, normalLogProb } from '../../../core/distributions/normal';
import { fixedNormalPrior } from '../../../core/priors/fixedNormal';
import { scaleMixtureLogProb } from '../../../core/priors/scaleMixture';
import { meanFieldNormalPosterior } from '../../../core/posteriors/meanFieldNormal';
import { useCpuBackend } from '../../fixtures/testBackend';

beforeAll(useCpuBackend);

describe('Normal', () => {
  it('log-density matches the formula', () => {
    const value = normalLogProb(tf.scalar(1.3), 0.4, 2).dataSync()[0];
    const expected = -0.5 * ((1.3 - 0.4) / 2) ** 2 - Math.log(2) - 0.5 * Math.log(2 * Math.PI);
    expect(value).toBeCloseTo(expected, 6);
  });

  it('KL of identical Normals is zero and matches a hand computation otherwise', () => {
    expect(normalKl(tf.scalar(0.3), tf.scalar(0.7), 0.3, 0.7).dataSync()[0]).toBeCloseTo(0, 6);
    // KL(N(1, 0.5²) ‖ N(0, 1)) = log(1/0.5) + (0.25 + 1)/2 − 1/2 = 0.693147 + 0.125
    expect(normalKl(tf.scalar(1), tf.scalar(0.5), 0, 1).dataSync()[0]).toBeCloseTo(Math.log(2) + 0.125, 5);
  });
});

describe("centredNormalKlSum (the fixed Normal prior's KL with a hand-written gradient)", () => {
  it.each([1, 0.3])('equals Σ normalKl and its autodiff gradient, prior scale %s', (priorScale) => {
    const loc = tf.randomNormal([7, 11], 0, 0.5, 'float32', 3);
    const scale = tf.add(0.01, tf.randomUniform([7, 11], 0, 0.8, 'float32', 4));
    const before = tf.memory().numTensors;
    // A weight on the KL, as the loss applies klWeight, so dy ≠ 1 reaches the gradient.
    const reference = tf.grads((mu: tf.Tensor, sigma: tf.Tensor) =>
      tf.mul(tf.sum(normalKl(mu, sigma, 0, priorScale)), 0.7),
    );
    const fast = tf.grads((mu: tf.Tensor, sigma: tf.Tensor) => tf.mul(centredNormalKlSum(mu, sigma, priorScale), 0.7));
    const [referenceMu, referenceSigma] = reference([loc, scale]);
    const [fastMu, fastSigma] = fast([loc, scale]);
    const value = tf.tidy(() => centredNormalKlSum(loc, scale, priorScale).dataSync()[0]);
    const expected = tf.tidy(() => tf.sum(normalKl(loc, scale, 0, priorScale)).dataSync()[0]);
    expect(Math.abs(value - expected) / expected).toBeLessThan(1e-5);
    const worst = (a: tf.Tensor, b: tf.Tensor) =>
      tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0]);
    expect(worst(fastMu, referenceMu)).toBeLessThan(1e-5);
    expect(worst(fastSigma, referenceSigma)).toBeLessThan(1e-5);
    tf.dispose([referenceMu, referenceSigma, fastMu, fastSigma]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([loc, scale]);
  });

  it('keeps its precision when the posterior is the prior (the terms cancel per element)', () => {
    const kl = tf.tidy(() => centredNormalKlSum(tf.zeros([60_000]), tf.fill([60_000], 0.3), 0.3).dataSync()[0]);
    expect(Math.abs(kl)).toBeLessThan(1e-3);
  });
});

describe('KL estimators', () => {
  it('analytic and Monte Carlo KL agree within 3 standard errors', () => {
    // q = N(μ, σ²) over 50 weights with varied μ, σ; p = N(0, 1). The MC estimate
    // log q(w) − log p(w), w ~ q, is unbiased; with 4000 draws its standard error is ~2 % of the KL.
    const makePosterior = meanFieldNormalPosterior({ muStd: 0.8, rho: -1 });
    const posterior = makePosterior({ shape: [50], name: 'kl-test', seed: 7 });
    const prior = fixedNormalPrior(1)({ shape: [50], name: 'kl-test' });
    const exact = tf.tidy(() => tf.sum(prior.analyticKl!(posterior.loc, posterior.scale())).dataSync()[0]);
    const draws = 4000;
    const estimates = tf.tidy(() => {
      const w = posterior.sample(123, draws); // [draws, 50]
      return Array.from(tf.sum(tf.sub(posterior.logProb(w), prior.logProb(w)), 1).dataSync());
    });
    const mean = estimates.reduce((a, b) => a + b, 0) / draws;
    const variance = estimates.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws - 1);
    const standardError = Math.sqrt(variance / draws);
    expect(exact).toBeGreaterThan(1); // a non-trivial KL, so the agreement means something
    expect(Math.abs(mean - exact)).toBeLessThan(3 * standardError);
    posterior.dispose();
  });
});

describe('scale-mixture prior', () => {
  it('log-density matches a direct computation of log(π N1 + (1−π) N2)', () => {
    const pi = 0.2,
      sigma1 = 1.0,
      sigma2 = 0.1;
    const points = [-3, -0.5, -0.05, 0, 0.02, 0.3, 2.5, 8];
    const values = scaleMixtureLogProb(tf.tensor1d(points), pi, sigma1, sigma2).dataSync();
    const density = (x: number, s: number) => Math.exp(-0.5 * (x / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
    points.forEach((x, i) => {
      const direct = Math.log(pi * density(x, sigma1) + (1 - pi) * density(x, sigma2));
      expect(values[i]).toBeCloseTo(direct, 4);
    });
  });

  it('stays finite far in the tails where the direct sum underflows', () => {
    const value = scaleMixtureLogProb(tf.scalar(60), 0.2, 1, 0.1).dataSync()[0];
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeCloseTo(Math.log(0.2) - 0.5 * 3600 - 0.5 * Math.log(2 * Math.PI), 2);
  });
});

import { describe, expect, it } from 'vitest';
import { applyTemperature, carveValidationSplit, fitTemperature, temperatureNll } from '../../../core/methods/temperatureScaling';
import { SeedStream, standardNormal } from '../../../core/random/seedStream';

/**
 * N examples of C classes whose labels are drawn from softmax(z) for true logits z ~ N(0, scale²),
 * reported as `overconfidence · z`: the true temperature is `overconfidence`.
 */
function overconfidentLogits(count: number, classes: number, overconfidence: number, seed: number) {
  const stream = new SeedStream(seed);
  const logits = new Float32Array(count * classes);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n += 1) {
    const trueLogits = Array.from({ length: classes }, () => 2 * standardNormal(stream));
    const probabilities = applyTemperature(trueLogits, classes, 1);
    let u = stream.uniform();
    let label = 0;
    while (label < classes - 1 && u >= probabilities[label]) u -= probabilities[label++];
    labels[n] = label;
    trueLogits.forEach((z, k) => (logits[n * classes + k] = overconfidence * z));
  }
  return { logits, labels, classes };
}

describe('temperature scaling', () => {
  it('leaves probabilities unchanged at T = 1 and never changes the argmax', () => {
    const logits = [2, -1, 0.5, 0.1, 0.2, 3];
    const probabilities = applyTemperature(logits, 3, 1);
    // softmax in float64 by hand: exp(z − max) / Σ
    const expected = [[2, -1, 0.5], [0.1, 0.2, 3]].flatMap((row) => {
      const max = Math.max(...row);
      const total = row.reduce((sum, z) => sum + Math.exp(z - max), 0);
      return row.map((z) => Math.exp(z - max) / total);
    });
    expect(Array.from(probabilities)).toEqual(expected);
    const hot = applyTemperature(logits, 3, 0.3);
    const cold = applyTemperature(logits, 3, 7);
    for (const scaled of [hot, cold]) {
      expect(scaled.indexOf(Math.max(...scaled.slice(0, 3)))).toBe(0);
      expect(scaled.slice(3).indexOf(Math.max(...scaled.slice(3)))).toBe(2);
    }
  });

  it('recovers a known temperature of 3 from over-confident logits within 10 %', () => {
    // 1,000 examples × 10 classes: the MLE's spread at this size is a few percent (seeds 1–10 gave 2.83–3.09),
    // so 10 % leaves room for the sample without accepting a wrong answer (T = 1 would be 67 % off).
    const data = overconfidentLogits(1000, 10, 3, 1);
    const fit = fitTemperature(data);
    expect(fit.atBound).toBeNull();
    // Newton on the convex NLL(1/T) converges in a handful of steps.
    expect(fit.iterations).toBeLessThan(15);
    expect(Math.abs(fit.temperature - 3) / 3).toBeLessThan(0.1);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
    expect(fit.nllBefore).toBeCloseTo(temperatureNll(data, 1), 12);
    // At the minimum: 1 % either side is worse.
    expect(temperatureNll(data, fit.temperature * 1.01)).toBeGreaterThan(fit.nllAfter);
    expect(temperatureNll(data, fit.temperature * 0.99)).toBeGreaterThan(fit.nllAfter);
    // Deterministic: the same data give the same temperature, bit for bit.
    expect(fitTemperature(data).temperature).toBe(fit.temperature);
  });

  it('finds T ≈ 1 on calibrated logits and T < 1 on under-confident ones', () => {
    expect(fitTemperature(overconfidentLogits(1000, 10, 1, 2)).temperature).toBeGreaterThan(0.9);
    expect(fitTemperature(overconfidentLogits(1000, 10, 1, 2)).temperature).toBeLessThan(1.1);
    expect(fitTemperature(overconfidentLogits(1000, 10, 0.5, 3)).temperature).toBeLessThan(0.6);
  });

  it('reports the lower bound when every validation example is right (the NLL falls as T → 0)', () => {
    const fit = fitTemperature({ logits: [3, 0, 0, 2], labels: [0, 1], classes: 2 });
    expect(fit).toMatchObject({ atBound: 'lower', temperature: 0.01 });
  });

  it('refuses malformed input with whole sentences', () => {
    expect(() => fitTemperature({ logits: [1, 2, 3], labels: [0, 1], classes: 2 })).toThrow('2 examples of 2 classes need 4 logits; found 3.');
    expect(() => fitTemperature({ logits: [1, 2], labels: [2], classes: 2 })).toThrow('Label 2 of example 0 is not a class index in 0..1.');
    expect(() => applyTemperature([1, 2], 2, 0)).toThrow('A temperature must be positive and finite, found 0.');
  });
});

describe('validation split', () => {
  it('partitions the training indices by seed, never beyond the training set', () => {
    const split = carveValidationSplit(1000, 0.1, 7);
    expect(split.validation).toHaveLength(100);
    expect(split.training).toHaveLength(900);
    const all = [...split.training, ...split.validation].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(split.validation)).toEqual([...split.validation].sort((a, b) => a - b));
    expect(carveValidationSplit(1000, 0.1, 7)).toEqual(split);
    expect(Array.from(carveValidationSplit(1000, 0.1, 8).validation)).not.toEqual(Array.from(split.validation));
    expect(() => carveValidationSplit(1000, 1, 7)).toThrow('The validation fraction must be strictly between 0 and 1, found 1.');
  });
});

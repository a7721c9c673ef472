import { describe, expect, it } from 'vitest';
import {
  applyTemperature,
  carveValidationSplit,
  fitTemperature,
  fitTemperatureToDraws,
  mixtureTemperatureNll,
  temperatureNll,
} from '../../../core/methods/temperatureScaling';
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
    const expected = [
      [2, -1, 0.5],
      [0.1, 0.2, 3],
    ].flatMap((row) => {
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
    expect(() => fitTemperature({ logits: [1, 2, 3], labels: [0, 1], classes: 2 })).toThrow(
      '2 examples of 2 classes need 4 logits; found 3.',
    );
    expect(() => fitTemperature({ logits: [1, 2], labels: [2], classes: 2 })).toThrow(
      'Label 2 of example 0 is not a class index in 0..1.',
    );
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
    expect(() => carveValidationSplit(1000, 1, 7)).toThrow(
      'The validation fraction must be strictly between 0 and 1, found 1.',
    );
  });
});

describe('temperature scaling of a mixture of draws', () => {
  it('finds the single-logit temperature when there is one draw, or several identical ones', () => {
    const data = overconfidentLogits(500, 10, 3, 4);
    const single = fitTemperature(data);
    const oneDraw = fitTemperatureToDraws({ ...data, draws: 1 });
    // Newton on 1/T and golden-section on log T both stop at ~1e-10; the optimum is flat, so 1e-6 relative.
    expect(oneDraw.temperature / single.temperature).toBeCloseTo(1, 6);
    expect(oneDraw.nllAfter).toBeCloseTo(single.nllAfter, 10);
    const copies = new Float32Array(3 * data.logits.length);
    for (let s = 0; s < 3; s += 1) copies.set(data.logits, s * data.logits.length);
    const threeDraws = fitTemperatureToDraws({ ...data, logits: copies, draws: 3 });
    expect(threeDraws.temperature / single.temperature).toBeCloseTo(1, 6);
  });

  it('stops at a minimum of the mixture NLL for draws that disagree', () => {
    const first = overconfidentLogits(400, 5, 2.5, 5);
    const stream = new SeedStream(6);
    const draws = 4;
    const logits = new Float32Array(draws * first.logits.length);
    for (let s = 0; s < draws; s += 1) {
      for (let j = 0; j < first.logits.length; j += 1)
        logits[s * first.logits.length + j] = first.logits[j] + 1.5 * standardNormal(stream);
    }
    const data = { logits, labels: first.labels, classes: 5, draws };
    const fit = fitTemperatureToDraws(data);
    expect(fit.atBound).toBeNull();
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
    expect(mixtureTemperatureNll(data, fit.temperature * 1.01)).toBeGreaterThan(fit.nllAfter);
    expect(mixtureTemperatureNll(data, fit.temperature / 1.01)).toBeGreaterThan(fit.nllAfter);
    expect(() => fitTemperatureToDraws({ ...data, draws: 3 })).toThrow(
      '3 draws of 400 examples and 5 classes need 6000 logits; found 8000.',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { HeldoutAccumulator } from '../../../core/metrics/heldout';
import {
  drawProbabilitiesFromFlat,
  drawProbabilitiesFromNested,
  MetricsError,
  summarizeDraws,
} from '../../../core/metrics/predictive';
import { ReliabilityBins } from '../../../core/metrics/calibration';

/**
 * Two draws, two examples, three classes:
 *   draw 1: x0 → [0.8, 0.1, 0.1]   x1 → [0.1, 0.6, 0.3]
 *   draw 2: x0 → [0.5, 0.4, 0.1]   x1 → [0.3, 0.1, 0.6]
 *   mean:   x0 → [0.65, 0.25, 0.1] x1 → [0.2, 0.35, 0.45]
 * Labels y = [0, 1]: x0 right (argmax 0, confidence 0.65), x1 wrong (argmax 2, confidence 0.45).
 */
const draws = [
  [
    [0.8, 0.1, 0.1],
    [0.1, 0.6, 0.3],
  ],
  [
    [0.5, 0.4, 0.1],
    [0.3, 0.1, 0.6],
  ],
];
const labels = [0, 1];

describe('predictive summaries', () => {
  it('splits the predictive entropy into expected entropy and mutual information', () => {
    const summary = summarizeDraws(drawProbabilitiesFromNested(draws));
    expect(Array.from(summary.meanProbabilities)).toEqual(
      [0.65, 0.25, 0.1, 0.2, 0.35, 0.45].map((p) => expect.closeTo(p, 12)),
    );
    expect(Array.from(summary.predictedClass)).toEqual([0, 2]);
    expect(summary.maxProbability[0]).toBeCloseTo(0.65, 12);
    // H[p̄] for x0 = −(0.65 ln 0.65 + 0.25 ln 0.25 + 0.1 ln 0.1) = 0.28001 + 0.34657 + 0.23026
    expect(summary.predictiveEntropy[0]).toBeCloseTo(0.856840995, 9);
    // E_t H[p_t] for x0 = (H[0.8, 0.1, 0.1] + H[0.5, 0.4, 0.1]) / 2 = (0.6390319 + 0.9433484) / 2
    expect(summary.expectedEntropy[0]).toBeCloseTo(0.791190126, 9);
    expect(summary.mutualInformation[0]).toBeCloseTo(0.065650869, 9);
    expect(summary.predictiveEntropy[1]).toBeCloseTo(1.0486537894, 9);
    expect(summary.expectedEntropy[1]).toBeCloseTo(0.8979457249, 9);
    expect(summary.mutualInformation[1]).toBeCloseTo(0.1507080645, 9);
  });

  it('gives zero mutual information when every draw agrees', () => {
    const summary = summarizeDraws(drawProbabilitiesFromNested([[[0.7, 0.3]], [[0.7, 0.3]], [[0.7, 0.3]]]));
    expect(summary.mutualInformation[0]).toBeCloseTo(0, 12);
    expect(summary.predictiveEntropy[0]).toBeCloseTo(-(0.7 * Math.log(0.7) + 0.3 * Math.log(0.3)), 12);
  });

  it('reads the [T, N, C] layout of a flat tensor download', () => {
    const flat = new Float32Array(draws.flat(2));
    const summary = summarizeDraws(drawProbabilitiesFromFlat(flat, [2, 2, 3]));
    expect(summary.meanProbabilities[5]).toBeCloseTo(0.45, 6);
    expect(() => drawProbabilitiesFromFlat(flat, [2, 3, 3])).toThrow(/needs 18 values; found 12/);
  });
});

describe('held-out metrics', () => {
  it('computes nats from the probability of the true label, accuracy, ECE and refusals by hand', () => {
    const accumulator = new HeldoutAccumulator(0.5);
    accumulator.add(drawProbabilitiesFromNested(draws), labels);
    const metrics = accumulator.result();
    // (ln p̄(y0) + ln p̄(y1)) / 2 = (ln 0.65 + ln 0.35) / 2
    expect(metrics.heldoutNats).toBeCloseTo((Math.log(0.65) + Math.log(0.35)) / 2, 12);
    expect(metrics.heldoutNats).toBeCloseTo(-0.7403025203, 9);
    // Not the buggy mean of the log over all classes: ((ln .65 + ln .25 + ln .1) + (ln .2 + ln .35 + ln .45)) / 6
    expect(metrics.heldoutNats).not.toBeCloseTo(-1.2997, 3);
    expect(metrics.accuracy).toBe(0.5);
    // 15 bins: 0.65 in (9/15, 10/15] with accuracy 1, 0.45 in (6/15, 7/15] with accuracy 0:
    // ECE = ½ |1 − 0.65| + ½ |0 − 0.45| = 0.4
    expect(metrics.expectedCalibrationError).toBeCloseTo(0.4, 12);
    expect(metrics.reliability).toHaveLength(15);
    expect(metrics.reliability[9]).toMatchObject({ count: 1, accuracy: 1 });
    expect(metrics.reliability[9].meanConfidence).toBeCloseTo(0.65, 12);
    expect(metrics.reliability[6]).toMatchObject({ count: 1, accuracy: 0 });
    expect(metrics.reliability[0]).toMatchObject({ count: 0, accuracy: null, meanConfidence: null });
    // Refuse when max p̄ < 0.5: x1 (0.45) is refused, x0 kept and right.
    expect(metrics.refusalRate).toBe(0.5);
    expect(metrics.acceptedAccuracy).toBe(1);
    expect(metrics.meanMutualInformation).toBeCloseTo((0.065650869 + 0.1507080645) / 2, 9);
  });

  it('gives the same figures batch by batch as all at once', () => {
    const whole = new HeldoutAccumulator();
    whole.add(drawProbabilitiesFromNested(draws), labels);
    const streamed = new HeldoutAccumulator();
    streamed.add(drawProbabilitiesFromNested(draws.map((draw) => [draw[0]])), [labels[0]]);
    streamed.add(drawProbabilitiesFromNested(draws.map((draw) => [draw[1]])), [labels[1]]);
    expect(streamed.result()).toEqual(whole.result());
  });

  it('floors a zero true-label probability instead of returning −∞', () => {
    const accumulator = new HeldoutAccumulator();
    accumulator.add(drawProbabilitiesFromNested([[[1, 0]]]), [1]);
    expect(accumulator.result().heldoutNats).toBeCloseTo(Math.log(1e-30), 9);
  });

  it('rejects labels outside the classes and mismatched batches with whole sentences', () => {
    const accumulator = new HeldoutAccumulator();
    expect(() => accumulator.add(drawProbabilitiesFromNested(draws), [0, 3])).toThrow(MetricsError);
    expect(() => accumulator.add(drawProbabilitiesFromNested(draws), [0, 3])).toThrow(
      'Label 3 of example 1 is not a class index in 0..2.',
    );
    expect(() => accumulator.add(drawProbabilitiesFromNested(draws), [0])).toThrow(
      'The batch has 2 examples but 1 labels.',
    );
    expect(() => accumulator.result()).toThrow(/No held-out examples/);
  });
});

describe('reliability bins', () => {
  it('closes bins on the right and puts a confidence of 0 in the first', () => {
    const bins = new ReliabilityBins(4);
    expect(bins.binOf(0)).toBe(0);
    expect(bins.binOf(0.25)).toBe(0);
    expect(bins.binOf(0.26)).toBe(1);
    expect(bins.binOf(1)).toBe(3);
    expect(() => bins.binOf(1.5)).toThrow('A confidence in [0, 1] expected, found 1.5; are these probabilities?');
  });
});

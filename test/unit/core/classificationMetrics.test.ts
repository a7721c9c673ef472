import { describe, expect, it } from 'vitest';
import { classificationMetrics, expectedCalibrationError, refusalRate } from '../../../core/metrics/classification';

/** Two draws, three images, three classes: probabilities[draw][image][class]. */
const mc = {
  draws: 2,
  count: 3,
  classes: 3,
  probabilities: new Float32Array([
    // draw 0
    0.8, 0.1, 0.1,
    0.2, 0.7, 0.1,
    0.5, 0.3, 0.2,
    // draw 1
    0.6, 0.3, 0.1,
    0.4, 0.5, 0.1,
    0.1, 0.2, 0.7,
  ]),
};
const labels = [0, 1, 0];
// Mean over draws: [0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.3, 0.25, 0.45].

describe('classification metrics from Monte Carlo probabilities', () => {
  it('held-out nats is the mean log of the mean probability of the TRUE label', () => {
    const { heldoutNats } = classificationMetrics(mc, labels);
    const expected = (Math.log(0.7) + Math.log(0.6) + Math.log(0.3)) / 3;
    expect(heldoutNats).toBeCloseTo(expected, 6);
    // Not the mean of the per-draw logs, and not an average over all classes.
    const perDrawLogs = (Math.log(0.8) + Math.log(0.6) + Math.log(0.7) + Math.log(0.5) + Math.log(0.5) + Math.log(0.1)) / 6;
    expect(Math.abs(heldoutNats - perDrawLogs)).toBeGreaterThan(0.01);
  });

  it('accuracy uses the mean prediction', () => {
    // Image 3: mean argmax is class 2 (0.45), label 0 → wrong; the others right.
    expect(classificationMetrics(mc, labels).accuracy).toBeCloseTo(2 / 3, 10);
  });

  it('ECE over 15 bins matches a hand computation', () => {
    const { ece, reliability } = classificationMetrics(mc, labels);
    // Confidences 0.7 (bin 10, right), 0.6 (bin 9, right), 0.45 (bin 6, wrong):
    // ECE = (1/3)(|1 − 0.7| + |1 − 0.6| + |0 − 0.45|) = 0.38333…
    expect(ece).toBeCloseTo((0.3 + 0.4 + 0.45) / 3, 5);
    expect(reliability).toHaveLength(15);
    expect(reliability[10]).toMatchObject({ count: 1, accuracy: 1 });
    expect(reliability[10].meanConfidence).toBeCloseTo(0.7, 6);
    expect(reliability[6]).toMatchObject({ count: 1, accuracy: 0 });
    expect(reliability.reduce((sum, bin) => sum + bin.count, 0)).toBe(3);
  });

  it('a perfectly calibrated set has ECE 0; confidence 1 falls in the last bin', () => {
    const { ece, reliability } = expectedCalibrationError([0.75, 0.75, 0.75, 0.75, 1], [1, 1, 1, 0, 1]);
    expect(ece).toBeCloseTo(0, 10);
    expect(reliability[14].count).toBe(1);
  });

  it('refusal counts images whose largest mean probability is below the threshold', () => {
    const mean = [0.7, 0.2, 0.1, 0.19, 0.18, 0.63, 0.15, 0.15, 0.7];
    expect(refusalRate(mean, 3, 0.2)).toBeCloseTo(0, 10);
    expect(refusalRate(mean, 3, 0.65)).toBeCloseTo(1 / 3, 10);
    expect(refusalRate([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], 10, 0.2)).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { acceptanceThreshold, auroc, fprAtTpr, oodReport, oodScores, refusalRate } from '../../../core/metrics/ood';
import { concatSummaries, drawProbabilitiesFromNested, summarizeDraws } from '../../../core/metrics/predictive';

describe('AUROC', () => {
  it('counts P(out > in) plus half the ties', () => {
    // Pairs (out, in) with in = [0.1, 0.4, 0.35, 0.8]:
    //   out 0.9 beats all 4; out 0.4 beats 0.1 and 0.35, ties 0.4 (½), loses to 0.8 → 2.5; out 0.7 beats 3.
    //   AUROC = (4 + 2.5 + 3) / (4 · 3) = 9.5 / 12
    expect(auroc([0.1, 0.4, 0.35, 0.8], [0.9, 0.4, 0.7])).toBeCloseTo(9.5 / 12, 12);
  });

  it('is 1 for perfect separation, 0 for reversed, ½ for identical scores', () => {
    expect(auroc([0, 1, 2], [3, 4])).toBe(1);
    expect(auroc([3, 4], [0, 1, 2])).toBe(0);
    expect(auroc([1, 1, 1], [1, 1])).toBe(0.5);
  });

  it('rejects empty or NaN scores', () => {
    expect(() => auroc([], [1])).toThrow('No in-distribution scores were given; at least one is needed.');
    expect(() => auroc([1, Number.NaN], [1])).toThrow('The in-distribution score at index 1 is NaN.');
  });
});

describe('threshold calibration and FPR', () => {
  it('accepts at least the asked fraction of in-distribution scores', () => {
    const scores = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000 … 1
    expect(acceptanceThreshold(scores, 0.95)).toBe(950);
    expect(acceptanceThreshold([0.1, 0.4, 0.35, 0.8], 0.95)).toBe(0.8); // ⌈3.8⌉ = 4th smallest
    expect(acceptanceThreshold([0.1, 0.4, 0.35, 0.8], 0.5)).toBe(0.35); // 2nd smallest
  });

  it('gives the fraction of OOD examples accepted at that threshold', () => {
    // τ = 0.8 accepts OOD 0.4 and 0.7 of [0.9, 0.4, 0.7]; τ = 0.35 accepts none.
    expect(fprAtTpr([0.1, 0.4, 0.35, 0.8], [0.9, 0.4, 0.7], 0.95)).toBeCloseTo(2 / 3, 12);
    expect(fprAtTpr([0.1, 0.4, 0.35, 0.8], [0.9, 0.4, 0.7], 0.5)).toBe(0);
  });

  it('counts refusals of the max-probability rule', () => {
    expect(refusalRate([0.1, 0.2, 0.19, 0.9], 0.2)).toBe(0.5);
  });
});

describe('OOD report', () => {
  // In-distribution: confident digits; OOD: flat predictions.
  const inDistribution = summarizeDraws(
    drawProbabilitiesFromNested([
      [
        [0.9, 0.05, 0.05],
        [0.1, 0.8, 0.1],
        [0.6, 0.3, 0.1],
      ],
      [
        [0.95, 0.03, 0.02],
        [0.2, 0.7, 0.1],
        [0.5, 0.4, 0.1],
      ],
    ]),
  );
  const outOfDistribution = summarizeDraws(
    drawProbabilitiesFromNested([
      [
        [0.4, 0.3, 0.3],
        [0.34, 0.33, 0.33],
      ],
      [
        [0.3, 0.4, 0.3],
        [0.33, 0.34, 0.33],
      ],
    ]),
  );

  it('orients max-probability so that higher means OOD, and reports its threshold as a probability', () => {
    expect(Array.from(oodScores(inDistribution, 'maxProbability'))).toEqual(
      [-0.925, -0.75, -0.55].map((v) => expect.closeTo(v, 12)),
    );
    const report = oodReport(inDistribution, outOfDistribution, 'maxProbability', 2 / 3);
    // Accept the 2 most confident of 3 digits: threshold max p̄ ≥ 0.75; both noise images (0.35, 0.335) are refused.
    expect(report.threshold).toBeCloseTo(0.75, 12);
    expect(report.fprAtTpr).toBe(0);
    expect(report.outOfDistributionRefused).toBe(1);
    expect(report.auroc).toBe(1);
  });

  it('joins batch summaries in order', () => {
    const joined = concatSummaries([inDistribution, outOfDistribution]);
    expect(joined.count).toBe(5);
    expect(joined.maxProbability[3]).toBeCloseTo(0.35, 12);
    expect(joined.meanProbabilities.length).toBe(15);
  });
});

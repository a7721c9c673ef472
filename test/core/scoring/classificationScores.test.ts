import { describe, expect, it } from 'vitest';
import { drawProbabilitiesFromNested, summarizeDraws } from '../../../core/metrics/predictive';
import {
  areaUnderRiskCoverage,
  brierScore,
  ClassificationScorer,
  epistemicAvailability,
  riskCoverageCurve,
  scoreClassification,
  scoreOutOfDistribution,
} from '../../../core/scoring/classificationScores';

// Hand-computed values are exact rationals or closed forms; 12 decimals only allow float64 rounding.
describe('Brier score', () => {
  it('sums the squared differences to the one-hot label over classes and averages over examples', () => {
    // x0: (0.7−1)² + 0.2² + 0.1² = 0.14;  x1: 0.3² + (0.3−1)² + 0.4² = 0.74;  mean 0.44
    expect(brierScore([0.7, 0.2, 0.1, 0.3, 0.3, 0.4], [0, 1], 3)).toBeCloseTo(0.44, 12);
    expect(brierScore([1, 0, 0, 1], [0, 1], 2)).toBe(0);
    expect(() => brierScore([0.5, 0.5], [0, 1], 2)).toThrow('2 examples of 2 classes need 4 probabilities; found 2.');
  });
});

describe('risk–coverage curve and AURC', () => {
  it('ranks by confidence and divides the errors among the k most confident by k', () => {
    // Sorted: 0.9 ✓, 0.8 ✗, 0.7 ✓, 0.6 ✗ → risks 0, 1/2, 1/3, 2/4; AURC = (0 + .5 + 1/3 + .5) / 4 = 1/3
    const curve = riskCoverageCurve([0.7, 0.6, 0.9, 0.8], [true, false, true, false]);
    expect(Array.from(curve.coverage)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(Array.from(curve.risk)).toEqual([0, 0.5, 1 / 3, 0.5].map((value) => expect.closeTo(value, 12)));
    expect(areaUnderRiskCoverage(curve)).toBeCloseTo(1 / 3, 12);
  });

  it('takes the expectation over a random order within tied confidences, so input order does not matter', () => {
    // Two examples tied at 1.0 with one error: risk after 1 = ½ / 1, after 2 = 1/2; then 0.5 ✓: 1/3.
    const expected = (0.5 + 0.5 + 1 / 3) / 3;
    expect(areaUnderRiskCoverage(riskCoverageCurve([1, 1, 0.5], [true, false, true]))).toBeCloseTo(expected, 12);
    expect(areaUnderRiskCoverage(riskCoverageCurve([1, 1, 0.5], [false, true, true]))).toBeCloseTo(expected, 12);
  });
});

describe('classification scores', () => {
  // Two draws, two examples (as test/core/metrics/heldout.test.ts): mean x0 → [0.65, 0.25, 0.1] (label 0,
  // right), x1 → [0.2, 0.35, 0.45] (label 1, wrong).
  const draws = drawProbabilitiesFromNested([
    [
      [0.8, 0.1, 0.1],
      [0.1, 0.6, 0.3],
    ],
    [
      [0.5, 0.4, 0.1],
      [0.3, 0.1, 0.6],
    ],
  ]);
  const labels = [0, 1];

  it('gives nats, accuracy, Brier, ECE and AURC of the mean prediction', () => {
    const scores = scoreClassification(draws, labels, { hasEpistemicPart: true });
    expect(scores.heldoutNats).toBeCloseTo((Math.log(0.65) + Math.log(0.35)) / 2, 12);
    expect(scores.accuracy).toBe(0.5);
    // x0: 0.35² + 0.25² + 0.1² = 0.195; x1: 0.2² + 0.65² + 0.45² = 0.665; mean 0.43
    expect(scores.brier).toBeCloseTo(0.43, 12);
    // ½ |1 − 0.65| + ½ |0 − 0.45| (15 bins; see the held-out test)
    expect(scores.ece).toBeCloseTo(0.4, 12);
    expect(scores.reliability).toHaveLength(15);
    // Sorted 0.65 ✓, 0.45 ✗ → risks 0, 1/2 → AURC 1/4
    expect(scores.aurc).toBeCloseTo(0.25, 12);
    expect(scores.meanMutualInformation).toBeCloseTo((0.065650869 + 0.1507080645) / 2, 8);
  });

  it('gives the same scores batch by batch as all at once', () => {
    const scorer = new ClassificationScorer({ hasEpistemicPart: true });
    const nested = [
      [
        [0.8, 0.1, 0.1],
        [0.1, 0.6, 0.3],
      ],
      [
        [0.5, 0.4, 0.1],
        [0.3, 0.1, 0.6],
      ],
    ];
    scorer.add(drawProbabilitiesFromNested(nested.map((draw) => [draw[0]])), [0]);
    scorer.add(drawProbabilitiesFromNested(nested.map((draw) => [draw[1]])), [1]);
    const streamed = scorer.result();
    const whole = scoreClassification(draws, labels, { hasEpistemicPart: true });
    expect(streamed.brier).toBeCloseTo(whole.brier, 12);
    expect(streamed.aurc).toBe(whole.aurc);
    expect(streamed.ece).toBe(whole.ece);
  });

  it('reports mutual information as not applicable, with the reason, for a method without an epistemic part', () => {
    const oneDraw = drawProbabilitiesFromNested([
      [
        [0.65, 0.25, 0.1],
        [0.2, 0.35, 0.45],
      ],
    ]);
    const deterministic = scoreClassification(oneDraw, labels, { hasEpistemicPart: false });
    expect(deterministic.meanMutualInformation).toBeNull();
    expect(deterministic.epistemic).toEqual({
      available: false,
      reason: expect.stringMatching(/^not applicable: the method has no epistemic part/),
    });
    // A closed-form (probit) predictive has an epistemic part but one set of probabilities.
    expect(epistemicAvailability(true, 1)).toMatchObject({
      available: false,
      reason: expect.stringMatching(/closed form/),
    });
    expect(epistemicAvailability(true, 2)).toEqual({ available: true });
  });
});

describe('OOD scores', () => {
  const inDistribution = summarizeDraws(
    drawProbabilitiesFromNested([
      [
        [0.9, 0.1],
        [0.8, 0.2],
        [0.95, 0.05],
      ],
      [
        [0.85, 0.15],
        [0.9, 0.1],
        [0.9, 0.1],
      ],
    ]),
  );
  const outOfDistribution = summarizeDraws(
    drawProbabilitiesFromNested([
      [
        [0.9, 0.1],
        [0.2, 0.8],
      ],
      [
        [0.1, 0.9],
        [0.7, 0.3],
      ],
    ]),
  );

  it('scores entropy, mutual information and max probability when the predictive has draws', () => {
    const scores = scoreOutOfDistribution(inDistribution, outOfDistribution, { available: true });
    for (const kind of ['predictiveEntropy', 'mutualInformation', 'maxProbability'] as const) {
      expect(scores[kind]).toMatchObject({ kind, auroc: expect.any(Number), fprAtTpr: expect.any(Number) });
    }
    // Every OOD example disagrees across draws far more than any digit: MI separates them perfectly.
    expect(scores.mutualInformation).toMatchObject({ auroc: 1 });
  });

  it('says mutual information is not applicable instead of reporting zeros', () => {
    const scores = scoreOutOfDistribution(inDistribution, outOfDistribution, epistemicAvailability(false, 1));
    expect(scores.mutualInformation).toEqual({
      kind: 'mutualInformation',
      applicable: false,
      reason: expect.stringMatching(/^not applicable/),
    });
    expect(scores.predictiveEntropy).toMatchObject({ kind: 'predictiveEntropy', auroc: expect.any(Number) });
  });
});

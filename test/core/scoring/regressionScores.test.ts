import { describe, expect, it } from 'vitest';
import { scoreRegression, standardNormalQuantile } from '../../../core/scoring/regressionScores';

describe('regression scores', () => {
  it('computes the normal quantiles of the central intervals', () => {
    // Reference values of Φ⁻¹ (scipy.stats.norm.ppf); Acklam's approximation is good to ~1e-9 relative.
    expect(standardNormalQuantile(0.75)).toBeCloseTo(0.6744897501960817, 8);
    expect(standardNormalQuantile(0.95)).toBeCloseTo(1.6448536269514722, 8);
    expect(standardNormalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(standardNormalQuantile(0.01)).toBeCloseTo(-2.3263478740408408, 8);
    expect(() => standardNormalQuantile(1)).toThrow(
      'A normal quantile needs a probability strictly between 0 and 1, found 1.',
    );
  });

  it('gives the Gaussian log-likelihood, RMSE and coverage of a hand-computed case', () => {
    // μ = 0, σ² = 1 and 4, y = 1 and −1:
    //   LL = ½[−½(ln 2π + 1) − ½(ln 8π + ¼)]; RMSE = 1;
    //   50 %: z = 0.674 → |1| > 0.674, |−1| ≤ 1.349 → ½;  90 % and 95 %: both inside → 1.
    const scores = scoreRegression({ mean: [0, 0], variance: [1, 4], targets: [1, -1] });
    expect(scores.testLogLikelihood).toBeCloseTo(
      (-0.5 * (Math.log(2 * Math.PI) + 1) - 0.5 * (Math.log(8 * Math.PI) + 0.25)) / 2,
      12,
    );
    expect(scores.rmse).toBe(1);
    expect(scores.coverage).toEqual({ '0.5': 0.5, '0.9': 1, '0.95': 1 });
  });

  it('refuses non-positive variances and mismatched lengths with whole sentences', () => {
    expect(() => scoreRegression({ mean: [0], variance: [0], targets: [1] })).toThrow(
      'The predictive variance of example 0 is 0; a Gaussian predictive needs a positive variance.',
    );
    expect(() => scoreRegression({ mean: [0, 1], variance: [1], targets: [1] })).toThrow(
      'Regression scores need one mean and one variance per target; found 1 targets, 2 means and 1 variances.',
    );
  });
});

/**
 * The scores of a regression run, whatever the method: one implementation for dashboard, compare,
 * reports, CSV and CLI. Pure functions of plain arrays (no tfjs).
 *
 * The predictive of example n is Gaussian with mean μ_n and *total* variance σ_n² (epistemic
 * variance plus the noise variance: the band of a VI or dropout net, an ensemble's mixture
 * variance, a Laplace predictive's J Σ Jᵀ + σ_noise²). Then
 *   test log-likelihood  (1/N) Σ_n log N(y_n; μ_n, σ_n²)
 *   RMSE                 sqrt((1/N) Σ_n (y_n − μ_n)²)
 *   coverage at level q  (1/N) Σ_n 1[|y_n − μ_n| ≤ z_q σ_n],  z_q = Φ⁻¹((1 + q)/2)
 * (a calibrated predictive covers close to q). For the sinusoid's band over its grid, the
 * stdRatio / rmseInside / coverageInside figures of merit are the experiment's own
 * (core/experiments/sinusoid/figuresOfMerit.ts), re-exported here.
 */
import { MetricsError } from '../metrics/predictive';

export { sinusoidFiguresOfMerit, type SinusoidFiguresOfMerit } from '../experiments/sinusoid/figuresOfMerit';

export const DEFAULT_COVERAGE_LEVELS = [0.5, 0.9, 0.95] as const;

/**
 * Φ⁻¹(p), the standard normal quantile, by Acklam's rational approximation (relative error below
 * 1.2e-9 on (0, 1)).
 */
export function standardNormalQuantile(p: number): number {
  if (!(p > 0 && p < 1))
    throw new MetricsError(`A normal quantile needs a probability strictly between 0 and 1, found ${p}.`);
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const tail = 0.02425;
  if (p < tail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - tail) return -standardNormalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

export interface RegressionPredictive {
  mean: ArrayLike<number>;
  /** Total predictive variance per example (epistemic + noise), > 0. */
  variance: ArrayLike<number>;
  targets: ArrayLike<number>;
}

export interface RegressionScores {
  count: number;
  testLogLikelihood: number;
  rmse: number;
  /** Level → fraction of targets inside the central interval μ ± z σ. */
  coverage: Record<string, number>;
}

function checkPredictive({ mean, variance, targets }: RegressionPredictive): void {
  if (targets.length === 0) throw new MetricsError('Regression scores need at least one target; none were given.');
  if (mean.length !== targets.length || variance.length !== targets.length) {
    throw new MetricsError(
      `Regression scores need one mean and one variance per target; found ${targets.length} targets, ${mean.length} means and ${variance.length} variances.`,
    );
  }
  for (let n = 0; n < variance.length; n += 1) {
    if (!(variance[n] > 0))
      throw new MetricsError(
        `The predictive variance of example ${n} is ${variance[n]}; a Gaussian predictive needs a positive variance.`,
      );
  }
}

/** Mean Gaussian log-likelihood of the targets, RMSE and central-interval coverage. */
export function scoreRegression(
  predictive: RegressionPredictive,
  levels: readonly number[] = DEFAULT_COVERAGE_LEVELS,
): RegressionScores {
  checkPredictive(predictive);
  const { mean, variance, targets } = predictive;
  const count = targets.length;
  const halfWidths = levels.map((level) => {
    if (!(level > 0 && level < 1))
      throw new MetricsError(`A coverage level is a probability strictly between 0 and 1, found ${level}.`);
    return standardNormalQuantile((1 + level) / 2);
  });
  const covered = new Array<number>(levels.length).fill(0);
  let logLikelihood = 0;
  let squaredError = 0;
  for (let n = 0; n < count; n += 1) {
    const residual = targets[n] - mean[n];
    squaredError += residual * residual;
    logLikelihood += -0.5 * (Math.log(2 * Math.PI * variance[n]) + (residual * residual) / variance[n]);
    const std = Math.sqrt(variance[n]);
    halfWidths.forEach((z, i) => {
      if (Math.abs(residual) <= z * std) covered[i] += 1;
    });
  }
  return {
    count,
    testLogLikelihood: logLikelihood / count,
    rmse: Math.sqrt(squaredError / count),
    coverage: Object.fromEntries(levels.map((level, i) => [String(level), covered[i] / count])),
  };
}

/**
 * How good a predictive band is on the sinusoid (the acceptance test of the walking skeleton):
 * - stdRatio = mean std over 1 ≤ |x| ≤ 1.5 ÷ mean std over |x| ≤ 0.4 (wide outside the data);
 * - rmseInside = RMSE of the predictive mean against 10 sin(2πx) on [−0.5, 0.5];
 * - coverageInside = fraction of that true curve inside mean ± 2σ on [−0.5, 0.5].
 */
import { trueFunction } from './data';

export interface SinusoidFiguresOfMerit {
  stdRatio: number;
  rmseInside: number;
  coverageInside: number;
}

export function sinusoidFiguresOfMerit(grid: number[], mean: number[], std: number[]): SinusoidFiguresOfMerit {
  let outsideSum = 0, outsideCount = 0, centreSum = 0, centreCount = 0;
  let squaredError = 0, insideCount = 0, covered = 0;
  grid.forEach((x, i) => {
    const distance = Math.abs(x);
    if (distance >= 1 && distance <= 1.5) { outsideSum += std[i]; outsideCount += 1; }
    if (distance <= 0.4) { centreSum += std[i]; centreCount += 1; }
    if (distance <= 0.5) {
      const truth = trueFunction(x);
      squaredError += (mean[i] - truth) ** 2;
      insideCount += 1;
      if (Math.abs(mean[i] - truth) <= 2 * std[i]) covered += 1;
    }
  });
  const centreStd = centreSum / Math.max(centreCount, 1);
  return {
    stdRatio: centreStd > 0 ? outsideSum / Math.max(outsideCount, 1) / centreStd : Number.POSITIVE_INFINITY,
    rmseInside: Math.sqrt(squaredError / Math.max(insideCount, 1)),
    coverageInside: covered / Math.max(insideCount, 1),
  };
}

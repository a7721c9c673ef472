/**
 * How good a 1-D regression's predictive band is (the acceptance test of the walking skeleton),
 * for data observed on |x| ≤ inside:
 * - stdRatio = mean std over outside.from ≤ |x| ≤ outside.to ÷ mean std over |x| ≤ centre
 *   (the band must be wide away from the data and narrow over it);
 * - rmseInside = RMSE of the predictive mean against the true function on |x| ≤ inside;
 * - coverageInside = fraction of that true curve inside mean ± 2σ on |x| ≤ inside.
 */

export interface BandFiguresOfMerit {
  stdRatio: number;
  rmseInside: number;
  coverageInside: number;
}

export interface BandRegions {
  /** The noiseless function the data were drawn around. */
  trueFunction: (x: number) => number;
  /** Half-width of the region the training inputs cover. */
  inside: number;
  /** Half-width of the centre whose mean std is the ratio's denominator (a margin inside the data). */
  centre: number;
  /** |x| range whose mean std is the ratio's numerator (well outside the data). */
  outside: { from: number; to: number };
}

export function bandFiguresOfMerit(
  grid: readonly number[],
  mean: readonly number[],
  std: readonly number[],
  regions: BandRegions,
): BandFiguresOfMerit {
  let outsideSum = 0,
    outsideCount = 0,
    centreSum = 0,
    centreCount = 0;
  let squaredError = 0,
    insideCount = 0,
    covered = 0;
  grid.forEach((x, i) => {
    const distance = Math.abs(x);
    if (distance >= regions.outside.from && distance <= regions.outside.to) {
      outsideSum += std[i];
      outsideCount += 1;
    }
    if (distance <= regions.centre) {
      centreSum += std[i];
      centreCount += 1;
    }
    if (distance <= regions.inside) {
      const truth = regions.trueFunction(x);
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

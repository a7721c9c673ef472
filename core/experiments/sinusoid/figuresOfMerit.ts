/**
 * How good a predictive band is on the sinusoid (the acceptance test of the walking skeleton), by
 * the shared definition of core/scoring/bandFiguresOfMerit.ts with the sinusoid's regions:
 * - stdRatio = mean std over 1 ≤ |x| ≤ 1.5 ÷ mean std over |x| ≤ 0.4 (wide outside the data);
 * - rmseInside = RMSE of the predictive mean against 10 sin(2πx) on [−0.5, 0.5];
 * - coverageInside = fraction of that true curve inside mean ± 2σ on [−0.5, 0.5].
 */
import { bandFiguresOfMerit, type BandFiguresOfMerit, type BandRegions } from '../../scoring/bandFiguresOfMerit';
import { trueFunction } from './data';

export type SinusoidFiguresOfMerit = BandFiguresOfMerit;

export const sinusoidBandRegions: BandRegions = {
  trueFunction,
  inside: 0.5,
  centre: 0.4,
  outside: { from: 1, to: 1.5 },
};

export function sinusoidFiguresOfMerit(grid: number[], mean: number[], std: number[]): SinusoidFiguresOfMerit {
  return bandFiguresOfMerit(grid, mean, std, sinusoidBandRegions);
}

/** Training of the cubic toy regression (core/training/regressionTrainer.ts with the cubic's data and regions). */
import type { RegressionSummary } from '../../contract/runSummary';
import { standardizationOf, trainRegression, type RegressionProblem } from '../../training/regressionTrainer';
import type { ExperimentTrainer } from '../trainer';
import type { CubicConfig } from './config';
import { cubicBandRegions, cubicData } from './data';
import { CUBIC_GRID_LIMIT, CUBIC_TRAINING_POINTS } from './descriptor';

function cubicProblem(config: CubicConfig): RegressionProblem {
  const data = cubicData(config.seed, CUBIC_TRAINING_POINTS, config.noiseStd);
  // Standardized as in the paper's code, so the N(0, 1) prior suits a target that reaches ±64.
  return {
    data,
    grid: { min: -CUBIC_GRID_LIMIT, max: CUBIC_GRID_LIMIT },
    regions: cubicBandRegions,
    standardization: standardizationOf(data),
  };
}

export const cubicTrainer: ExperimentTrainer<CubicConfig, RegressionSummary> = {
  name: 'cubic',
  run: (config, hooks, _environment, resume) => trainRegression(config, cubicProblem(config), hooks, resume),
  regressionProblem: cubicProblem,
};

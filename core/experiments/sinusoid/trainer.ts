/**
 * The sinusoid regression of the reference text: a 1-20-20-1 variational MLP fitted by Bayes by
 * Backprop to 32 noisy samples of 10 sin(2πx) on [−0.5, 0.5] (core/training/regressionTrainer.ts);
 * every `evalEvery` epochs the predictive band over [−1.5, 1.5] from posterior draws.
 */
import type { RegressionSummary } from '../../contract/runSummary';
import type { TrainingCheckpoint } from '../../training/checkpoint';
import { trainRegression, type RegressionProblem } from '../../training/regressionTrainer';
import type { ExperimentEnvironment, ExperimentHooks, ExperimentTrainer } from '../trainer';
import type { SinusoidConfig } from './config';
import { sinusoidData } from './data';
import { sinusoidBandRegions } from './figuresOfMerit';

import { TRAINING_POINTS } from './data';
const GRID_LIMIT = 1.5;

function sinusoidProblem(config: SinusoidConfig): RegressionProblem {
  return {
    data: sinusoidData(config.seed, TRAINING_POINTS, config.noiseStd),
    grid: { min: -GRID_LIMIT, max: GRID_LIMIT },
    regions: sinusoidBandRegions,
  };
}

export async function runSinusoid(
  config: SinusoidConfig,
  hooks: ExperimentHooks,
  _environment?: ExperimentEnvironment,
  resume?: TrainingCheckpoint,
): Promise<RegressionSummary> {
  return trainRegression(config, sinusoidProblem(config), hooks, resume);
}

export const sinusoidTrainer: ExperimentTrainer<SinusoidConfig, RegressionSummary> = {
  name: 'sinusoid',
  run: runSinusoid,
  regressionProblem: sinusoidProblem,
};

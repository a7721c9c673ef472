/**
 * Which figures apply to a run, in the order of the reference text's walkthrough (McAteer 2019):
 * the sinusoid shows its loss, then the predictive band; LeNet5 its loss, then held-out nats and
 * accuracy, calibration (ECE beside the reliability diagram), refusals, the weight posteriors
 * (μ beside σ) and last the held-out and noise predictions. Rows of one or two figures: the
 * report puts a pair side by side. Figures of data a run does not have (posteriors of a
 * sinusoid, learned prior parameters of a fixed prior) are left out.
 */
import { eceFigure, heldoutFigure, refusalFigure } from './evaluationFigures';
import { lossFigure } from './lossFigure';
import { posteriorDensityFigure, priorParameterNames, priorParametersFigure } from './posteriorFigures';
import { predictionsFigure } from './predictionsFigure';
import { regressionFigure } from './regressionFigure';
import { reliabilityFigure } from './reliabilityFigure';
import type { RunData } from './runData';
import type { FigureRun, FigureSpec } from './types';

/** One row of a report: a figure across the width, or two side by side. */
export type FigureRow = readonly [FigureSpec] | readonly [FigureSpec, FigureSpec];

export interface RunFigureOptions {
  /** The run's planned length, so the step axes span it (the record's totalSteps). */
  totalSteps?: number;
}

export function runFigureRows(data: RunData, run: FigureRun, options: RunFigureOptions = {}): FigureRow[] {
  const totalSteps = options.totalSteps ?? data.progress?.total;
  const steps = { totalSteps };
  const rows: FigureRow[] = [[lossFigure(data, run, steps)]];
  if (run.config.experiment === 'sinusoid' || data.regression) rows.push([regressionFigure(data, run)]);
  const latestEvaluation = data.evaluations.at(-1) ?? null;
  if (run.config.experiment === 'lenet5' || latestEvaluation) {
    rows.push([heldoutFigure(data, run, steps)]);
    rows.push([eceFigure(data, run, steps), reliabilityFigure(latestEvaluation, run)]);
    rows.push([refusalFigure(data, run, steps)]);
  }
  const latestPosterior = data.posteriors.at(-1) ?? null;
  if (latestPosterior) {
    rows.push([posteriorDensityFigure(latestPosterior, 'mu', run), posteriorDensityFigure(latestPosterior, 'sigma', run)]);
    if (priorParameterNames(data).length > 0) rows.push([priorParametersFigure(data, run, steps)]);
  }
  if (latestEvaluation) rows.push([predictionsFigure(latestEvaluation, run)]);
  return rows;
}

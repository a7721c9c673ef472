/**
 * Which figures apply to a run, in the order its descriptor lists them (for the two workloads of
 * the reference text, McAteer 2019, the walkthrough's order: the sinusoid its loss, then the
 * predictive band; LeNet5 its loss, then held-out nats and accuracy, calibration (ECE beside the
 * reliability diagram), refusals, the weight posteriors (μ beside σ) and last the held-out and
 * noise predictions). Rows of one or two figures: the report puts a pair side by side. Figures of
 * data a run does not have yet (a posterior before the first evaluation, learned prior parameters
 * of a fixed prior) are left out.
 */
import type { FigureId } from '../experiments/descriptor';
import { descriptorOf } from '../experiments/registry';
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

type FigureBuilder = (data: RunData, run: FigureRun, options: { totalSteps?: number }) => FigureSpec | null;

/** Each figure a descriptor can name; null when the run has no data for it yet. */
const figureBuilders: Record<FigureId, FigureBuilder> = {
  loss: (data, run, steps) => lossFigure(data, run, steps),
  predictive: (data, run) => regressionFigure(data, run),
  heldout: (data, run, steps) => heldoutFigure(data, run, steps),
  ece: (data, run, steps) => eceFigure(data, run, steps),
  reliability: (data, run) => reliabilityFigure(data.evaluations.at(-1) ?? null, run),
  refusal: (data, run, steps) => refusalFigure(data, run, steps),
  'posterior-mu': (data, run) => {
    const latest = data.posteriors.at(-1);
    return latest ? posteriorDensityFigure(latest, 'mu', run) : null;
  },
  'posterior-sigma': (data, run) => {
    const latest = data.posteriors.at(-1);
    return latest ? posteriorDensityFigure(latest, 'sigma', run) : null;
  },
  'prior-parameters': (data, run, steps) =>
    priorParameterNames(data).length > 0 ? priorParametersFigure(data, run, steps) : null,
  predictions: (data, run) => {
    const latest = data.evaluations.at(-1);
    return latest ? predictionsFigure(latest, run) : null;
  },
};

export function runFigureRows(data: RunData, run: FigureRun, options: RunFigureOptions = {}): FigureRow[] {
  const steps = { totalSteps: options.totalSteps ?? data.progress?.total };
  const rows: FigureRow[] = [];
  for (const ids of descriptorOf(run.config).figureRows) {
    const figures = ids
      .map((id) => figureBuilders[id](data, run, steps))
      .filter((figure): figure is FigureSpec => figure !== null);
    if (figures.length > 0) rows.push(figures as unknown as FigureRow);
  }
  return rows;
}

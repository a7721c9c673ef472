/**
 * Figures over the held-out evaluations of a classification run: held-out nats and accuracy,
 * expected calibration error, and refusal rates at the run's threshold, one point per evaluation.
 */
import type { ChartConfiguration } from 'chart.js';
import { describePasses } from '../methods/index';
import type { HeldoutEvent } from '../contract/runEvent';
import { axis, baseOptions, lineDataset, markedPoints } from './chartParts';
import { figureCaption } from './caption';
import { classificationTaskOf } from '../experiments/registry';
import { formatMetric } from './format';
import { palette } from './palette';
import type { RunData } from './runData';
import type { ChartFigureSpec, FigureRun } from './types';

export interface EvaluationFigureOptions {
  /** The x axis spans the whole run, so the evaluations visibly fill it. */
  totalSteps?: number;
}

type Evaluations = Pick<RunData, 'evaluations'>;

function stepAxis(options: EvaluationFigureOptions) {
  return axis('training step', { min: 0, max: options.totalSteps, ticks: { color: '#475569', maxTicksLimit: 10 } });
}

function series(evaluations: readonly HeldoutEvent[], value: (event: HeldoutEvent) => number) {
  return evaluations.map((event) => ({ x: event.step, y: value(event) }));
}

function chartSpec(id: string, title: string, run: FigureRun, chart: ChartConfiguration): ChartFigureSpec {
  return { id, kind: 'chart', title, caption: figureCaption(run), width: 900, height: 500, chart };
}

/** Held-out nats (log predictive probability of the true label; higher is better) and accuracy. */
export function heldoutFigure(
  data: Evaluations,
  run: FigureRun,
  options: EvaluationFigureOptions = {},
): ChartFigureSpec {
  const { evaluations } = data;
  const draws = evaluations.at(-1)?.draws;
  return chartSpec('heldout', 'Held-out nats and accuracy per evaluation', run, {
    type: 'scatter',
    data: {
      datasets: [
        lineDataset(
          `held-out nats${draws ? ` (${describePasses(run.config.method, draws)})` : ''}`,
          palette.heldoutNats,
          series(evaluations, (e) => e.heldoutNats),
          { ...markedPoints, yAxisID: 'y' },
        ),
        lineDataset(
          'accuracy',
          palette.accuracy,
          series(evaluations, (e) => e.accuracy * 100),
          { ...markedPoints, yAxisID: 'accuracy', borderDash: [5, 3] },
        ),
      ],
    },
    options: {
      ...baseOptions(),
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: stepAxis(options),
        y: axis('held-out nats (mean log p(y_true), nats)', { position: 'left' }),
        accuracy: axis('held-out accuracy (%)', {
          position: 'right',
          grid: { drawOnChartArea: false },
          suggestedMax: 100,
        }),
      },
    },
  });
}

/** Expected calibration error over evaluations (0 is perfectly calibrated). */
export function eceFigure(data: Evaluations, run: FigureRun, options: EvaluationFigureOptions = {}): ChartFigureSpec {
  return chartSpec('ece', 'Expected calibration error per evaluation', run, {
    type: 'scatter',
    data: {
      datasets: [
        lineDataset(
          'ECE',
          palette.ece,
          series(data.evaluations, (e) => e.ece),
          markedPoints,
        ),
      ],
    },
    options: {
      ...baseOptions(),
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: { x: stepAxis(options), y: axis('ECE (probability, 0 = calibrated)', { min: 0 }) },
    },
  });
}

/** Share of noise images and of held-out digits refused (no class's mean probability reaches the threshold). */
export function refusalFigure(
  data: Evaluations,
  run: FigureRun,
  options: EvaluationFigureOptions = {},
): ChartFigureSpec {
  const { evaluations } = data;
  const threshold =
    evaluations.at(-1)?.threshold ?? classificationTaskOf(run.config)?.refusalThreshold(run.config) ?? 0.2;
  return chartSpec('refusal', `Refusals at threshold ${formatMetric(threshold)} per evaluation`, run, {
    type: 'scatter',
    data: {
      datasets: [
        lineDataset(
          'noise images refused',
          palette.noiseRefusal,
          series(evaluations, (e) => e.noiseRefusal * 100),
          markedPoints,
        ),
        lineDataset(
          'held-out digits refused',
          palette.digitRefusal,
          series(evaluations, (e) => e.digitRefusal * 100),
          { ...markedPoints, borderDash: [5, 3] },
        ),
      ],
    },
    options: {
      ...baseOptions(),
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: stepAxis(options),
        y: axis(`refused at max p < ${formatMetric(threshold)} (% of images)`, { min: 0, max: 100 }),
      },
    },
  });
}

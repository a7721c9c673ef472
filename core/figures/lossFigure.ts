/** Training loss, NLL and KL per step (every run). */
import type { ChartConfiguration } from 'chart.js';
import { axis, baseOptions, lineDataset, thinnedIndices } from './chartParts';
import { figureCaption } from './caption';
import { descriptorOf } from '../experiments/registry';
import { lossPenaltyOf } from '../methods/index';
import { formatKlWeight } from './format';
import { palette, seriesColour } from './palette';
import type { RunData } from './runData';
import type { ChartFigureSpec, FigureRun } from './types';

export interface LossFigureOptions {
  /** Loss, NLL and KL differ by orders of magnitude early on: log-y is the default. */
  logScale?: boolean;
  /** The x axis spans the whole run, so the curve visibly grows towards its end. */
  totalSteps?: number;
  /** Points per series at most; longer runs are thinned evenly (the last point is kept). */
  maxPoints?: number;
}

export const LOSS_DATASETS = ['loss', 'nll', 'kl'] as const;

/**
 * A deep ensemble's own curves (one event stream, Lakshminarayanan et al. 2017): the NLL of the
 * members' mixture, and each member's NLL as a thin dashed line (NLL above is the members' mean).
 */
function ensembleDatasets(metrics: RunData['metrics'], indices: number[], classification: boolean) {
  const withMembers = indices.filter((i) => (metrics.memberNll[i]?.length ?? 0) > 0);
  if (withMembers.length === 0) return [];
  const members = Math.max(...withMembers.map((i) => metrics.memberNll[i].length));
  const unit = classification ? 'batch mean' : 'sum';
  return [
    lineDataset(
      `ensemble NLL (mixture, ${unit})`,
      palette.mean,
      withMembers.map((i) => ({ x: metrics.step[i], y: metrics.ensembleNll[i] })),
      { borderWidth: 2 },
    ),
    ...Array.from({ length: members }, (_, m) =>
      lineDataset(
        `member ${m + 1} NLL`,
        seriesColour(m),
        withMembers.map((i) => ({ x: metrics.step[i], y: metrics.memberNll[i][m] })),
        { borderWidth: 1, borderDash: [4, 3], pointRadius: 0 },
      ),
    ),
  ];
}

export function lossFigure(
  data: Pick<RunData, 'metrics'>,
  run: FigureRun,
  options: LossFigureOptions = {},
): ChartFigureSpec {
  const { metrics } = data;
  const logScale = options.logScale ?? true;
  const indices = thinnedIndices(metrics.step.length, options.maxPoints ?? 2000);
  const points = (values: number[]) => indices.map((i) => ({ x: metrics.step[i], y: values[i] }));
  const klWeight = metrics.klWeight.at(-1);
  // Classifiers average the NLL over the batch; regressions sum it over their points (the seed's losses).
  const classification = descriptorOf(run.config).task.kind === 'classification';
  // VI's second term is ΣKL to the prior; a point method's is ½Σw² weighted by its weight decay.
  const penalty = lossPenaltyOf([(run.config as { method?: string }).method]).symbol;
  const labels = {
    loss: classification ? `loss = NLL + w·${penalty}` : `loss = ΣNLL + w·${penalty}`,
    nll: classification ? 'NLL (batch mean)' : 'NLL (sum)',
    kl: `${penalty}${klWeight === undefined ? '' : ` (w = ${formatKlWeight(klWeight)})`}`,
  };
  const chart: ChartConfiguration = {
    type: 'scatter',
    data: {
      datasets: [
        ...LOSS_DATASETS.map((key) =>
          lineDataset(labels[key], palette[key], points(metrics[key]), { borderWidth: key === 'loss' ? 2 : 1.5 }),
        ),
        ...ensembleDatasets(metrics, indices, classification),
      ],
    },
    options: {
      ...baseOptions(),
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: axis('training step', {
          min: 0,
          max: options.totalSteps,
          ticks: { color: palette.text, maxTicksLimit: 10 },
        }),
        y: axis(logScale ? 'nats (log scale)' : 'nats', { type: logScale ? 'logarithmic' : 'linear' }),
      },
    },
  };
  return {
    id: 'loss',
    kind: 'chart',
    title: 'Training loss per step',
    caption: figureCaption(run),
    width: 900,
    height: 500,
    chart,
  };
}

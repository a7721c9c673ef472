/**
 * The weight posteriors as the reference text shows them: per variational layer, the density of
 * the posterior means μ on [−1.5, 1.5] and of the posterior standard deviations σ on [0, 1],
 * normalised histograms drawn as lines; and the learned prior parameters over the evaluations.
 */
import type { ChartConfiguration } from 'chart.js';
import type { Histogram, PosteriorEvent } from '../contract/runEvent';
import { axis, baseOptions, lineDataset, markedPoints } from './chartParts';
import { figureCaption } from './caption';
import { seriesColour } from './palette';
import type { RunData } from './runData';
import type { ChartFigureSpec, FigureRun } from './types';

export type PosteriorParameter = 'mu' | 'sigma';

/** Bin centres and densities (count ÷ (total · bin width)), so layers of any size share an axis. */
export function histogramDensity(histogram: Histogram): { x: number; y: number }[] {
  const total = histogram.counts.reduce((sum, count) => sum + count, 0);
  const width = (histogram.max - histogram.min) / Math.max(histogram.counts.length, 1);
  return histogram.counts.map((count, i) => ({
    x: histogram.min + (i + 0.5) * width,
    y: total > 0 ? count / (total * width) : 0,
  }));
}

const parameterText = {
  mu: {
    id: 'posterior-mu',
    title: 'Posterior means μ',
    axis: 'posterior mean μ (weight units)',
    range: { min: -1.5, max: 1.5 },
  },
  sigma: {
    id: 'posterior-sigma',
    title: 'Posterior standard deviations σ',
    axis: 'posterior std σ (weight units)',
    range: { min: 0, max: 1 },
  },
} as const;

export function posteriorDensityFigure(
  posterior: PosteriorEvent | null,
  parameter: PosteriorParameter,
  run: FigureRun,
): ChartFigureSpec {
  const text = parameterText[parameter];
  const layers = posterior?.layers ?? [];
  const chart: ChartConfiguration = {
    type: 'scatter',
    data: {
      datasets: layers.map((layer, index) =>
        lineDataset(
          `${layer.name} (${layer.weights.toLocaleString('en-US')})`,
          seriesColour(index),
          histogramDensity(parameter === 'mu' ? layer.muHistogram : layer.sigmaHistogram),
          {
            borderWidth: 1.75,
          },
        ),
      ),
    },
    options: {
      ...baseOptions(),
      scales: {
        x: axis(text.axis, { ...text.range }),
        y: axis('density (per unit of the x axis)', { min: 0 }),
      },
    },
  };
  return {
    id: text.id,
    kind: 'chart',
    title: posterior ? `${text.title} per layer at step ${posterior.step}` : `${text.title} per layer`,
    caption: figureCaption(run),
    width: 900,
    height: 500,
    chart,
  };
}

/** The names of the learned prior parameters a run reports (empty for a fixed prior). */
export function priorParameterNames(data: Pick<RunData, 'posteriors'>): string[] {
  const names = new Set<string>();
  for (const event of data.posteriors) for (const name of Object.keys(event.prior)) names.add(name);
  return [...names];
}

export function priorParametersFigure(
  data: Pick<RunData, 'posteriors'>,
  run: FigureRun,
  options: { totalSteps?: number } = {},
): ChartFigureSpec {
  const names = priorParameterNames(data);
  const chart: ChartConfiguration = {
    type: 'scatter',
    data: {
      datasets: names.map((name, index) =>
        lineDataset(
          name,
          seriesColour(index),
          data.posteriors
            .filter((event) => name in event.prior)
            .map((event) => ({ x: event.step, y: event.prior[name] })),
          markedPoints,
        ),
      ),
    },
    options: {
      ...baseOptions(),
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: axis('training step', { min: 0, max: options.totalSteps }),
        y: axis('prior parameter value (weight units; π a probability)'),
      },
    },
  };
  return {
    id: 'prior-parameters',
    kind: 'chart',
    title: 'Learned prior parameters per evaluation',
    caption: figureCaption(run),
    width: 900,
    height: 500,
    chart,
  };
}

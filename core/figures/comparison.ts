/**
 * Figures that compare runs, as pure functions of the compared runs' data (ComparisonRun: record
 * fields + RunData), so the compare view and a headless report draw the same thing:
 * - `comparisonMetricFigure`: one metric of every run overlaid by step, optionally smoothed
 *   (debiased EMA), or per seed group as mean ± std bands over its seeds;
 * - `posteriorOverlayFigure`: the weight-posterior density of one layer from every run at a step.
 * The numbers behind them (metrics, smoothing, groups, values at a step, CSV, config diff) are
 * re-exported from ./comparisonData and ./configDiff.
 */
import type { ChartConfiguration } from 'chart.js';
import { axis, baseOptions, lineDataset, markedPoints, thinnedIndices } from './chartParts';
import {
  colourIndexOf,
  comparisonMetric,
  meanAndStd,
  seedGroups,
  smoothSeries,
  type ComparisonRun,
  type Point,
  type SeedGrouping,
} from './comparisonData';
import { formatMetric } from './format';
import { palette, seriesColour } from './palette';
import { histogramDensity, type PosteriorParameter } from './posteriorFigures';
import { eventAtStep } from './runData';
import type { ChartFigureSpec } from './types';

export * from './comparisonData';
export {
  configDifferences,
  flattenConfig,
  formatConfigValue,
  type ConfigDifference,
  type ConfigValue,
} from './configDiff';

export interface ComparisonFigureOptions {
  /** EMA weight β in [0, 1); 0 draws the raw values. */
  smoothing?: number;
  /** 'none': one line per run; 'tag' or 'config': one mean ± std band per seed group. */
  grouping?: SeedGrouping;
  /** Log y where the metric defaults to it (only if every plotted value is positive); false forces linear. */
  logScale?: boolean;
  /** Points per line at most (long runs are thinned evenly after smoothing). */
  maxPoints?: number;
}

/** `#rrggbb` with an alpha, for bands and the raw line behind a smoothed one. */
export function withAlpha(hex: string, alpha: number): string {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}

/**
 * Tick labels for a y axis whose values are large but close together (ΣKL of similar runs:
 * 146,000…153,000), where formatMetric's "1.5e+5" would print the same label on every tick.
 */
function narrowRangeTicks(low: number, high: number): Record<string, unknown> {
  const magnitude = Math.max(Math.abs(low), Math.abs(high));
  if (!(magnitude >= 1e4) || high - low > 0.2 * magnitude) return {};
  return {
    ticks: {
      color: palette.text,
      maxTicksLimit: 8,
      callback: (value: number | string) => Number(Number(value).toPrecision(4)).toLocaleString('en-US'),
    },
  };
}

/** The caption of a comparison: which runs, so an exported image says where it came from. */
export function comparisonCaption(runs: readonly ComparisonRun[]): string {
  // A name shared by several runs (a seed group, one configuration under several methods) once, with its count.
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.name, (counts.get(run.name) ?? 0) + 1);
  const names = [...counts].map(([name, count]) => (count > 1 ? `${name} (×${count})` : name)).join(', ');
  const text = `${runs.length} run${runs.length === 1 ? '' : 's'}: ${names}`;
  return text.length > 220 ? `${text.slice(0, 219)}…` : text;
}

function thin(points: Point[], maxPoints: number): Point[] {
  return thinnedIndices(points.length, maxPoints).map((i) => points[i]);
}

// Datasets with an empty label are drawing aids (band edges, raw lines): kept out of the legend.
const legendWithoutAids = {
  position: 'top',
  align: 'end',
  labels: {
    usePointStyle: true,
    boxHeight: 7,
    color: palette.text,
    filter: (item: { text: string }) => item.text !== '',
  },
} as const;

/** One metric of every compared run, by step: a line per run, or a mean ± std band per seed group. */
export function comparisonMetricFigure(
  runs: readonly ComparisonRun[],
  metricKey: string,
  options: ComparisonFigureOptions = {},
): ChartFigureSpec {
  const metric = comparisonMetric(metricKey, runs);
  const smoothing = options.smoothing ?? 0;
  const maxPoints = options.maxPoints ?? 1000;
  const marks = metric.source === 'evaluation' ? markedPoints : {};
  const scaled = (points: Point[]) => points.map((point) => ({ x: point.x, y: point.y * metric.plotScale }));
  const smoothed = (run: ComparisonRun) => smoothSeries(scaled(metric.points(run.data)), smoothing);
  const datasets: Record<string, unknown>[] = [];
  const groups = seedGroups(runs, options.grouping ?? 'none');

  groups.forEach((group) => {
    const colour = seriesColour(group.colourIndex);
    if (group.runs.length === 1) {
      const run = group.runs[0];
      if (smoothing > 0)
        datasets.push(
          lineDataset('', withAlpha(colour, 0.25), thin(scaled(metric.points(run.data)), maxPoints), {
            borderWidth: 1,
            pointHitRadius: 0,
          }),
        );
      datasets.push(lineDataset(run.name, colour, thin(smoothed(run), maxPoints), { ...marks, borderWidth: 2 }));
      return;
    }
    const band = meanAndStd(group.runs.map(smoothed));
    const kept = thinnedIndices(band.length, maxPoints).map((i) => band[i]);
    datasets.push(
      lineDataset(
        '',
        withAlpha(colour, 0.5),
        kept.map((p) => ({ x: p.x, y: p.mean - p.std })),
        { borderWidth: 0.5, pointHitRadius: 0, fill: false },
      ),
    );
    datasets.push(
      lineDataset(
        '',
        withAlpha(colour, 0.5),
        kept.map((p) => ({ x: p.x, y: p.mean + p.std })),
        { borderWidth: 0.5, pointHitRadius: 0, fill: '-1', backgroundColor: withAlpha(colour, 0.18) },
      ),
    );
    datasets.push(
      lineDataset(
        `${group.label}: mean ± std`,
        colour,
        kept.map((p) => ({ x: p.x, y: p.mean })),
        { ...marks, borderWidth: 2 },
      ),
    );
  });

  const values = datasets.flatMap((dataset) => (dataset.data as Point[]).map((point) => point.y));
  const low = Math.min(...values);
  const high = Math.max(...values);
  // A log axis only pays when the values span an order of magnitude; over a narrow range its ticks repeat.
  const logScale = metric.logScale && options.logScale !== false && values.length > 0 && low > 0 && high / low >= 10;
  // Percentages cannot leave [0, 100]; a band over seeds may, and is clipped there.
  const percentBounds =
    metric.plotScale === 100 ? { ...(low < 0 ? { min: 0 } : {}), ...(high > 100 ? { max: 100 } : {}) } : {};
  const grouped = groups.some((group) => group.runs.length > 1);
  const titleParts = [`${metric.label[0].toUpperCase()}${metric.label.slice(1)} by step`];
  const captionParts = [comparisonCaption(runs)];
  if (smoothing > 0) {
    titleParts.push(`EMA β ${formatMetric(smoothing)}`);
    captionParts.push(`smoothed by a debiased EMA, β = ${formatMetric(smoothing)}`);
  }
  if (grouped) {
    titleParts.push('mean ± std over seeds');
    captionParts.push(`seed groups by ${options.grouping}: mean ± sample std`);
  }
  const chart: ChartConfiguration = {
    type: 'scatter',
    data: { datasets: datasets as unknown as ChartConfiguration['data']['datasets'] },
    options: {
      ...baseOptions(),
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: { legend: legendWithoutAids },
      scales: {
        x: axis(metric.source === 'evaluation' ? 'training step (evaluations)' : 'training step', {
          min: 0,
          ticks: { color: palette.text, maxTicksLimit: 10 },
        }),
        y: axis(logScale ? `${metric.axis}, log scale` : metric.axis, {
          type: logScale ? 'logarithmic' : 'linear',
          ...percentBounds,
          ...(logScale ? {} : narrowRangeTicks(low, high)),
        }),
      },
    },
  } as ChartConfiguration;
  return {
    id: `compare-${metric.key}`,
    kind: 'chart',
    title: titleParts.join(' · '),
    caption: captionParts.join(' · '),
    width: 900,
    height: 500,
    chart,
  };
}

/** Layer names that every run with posterior summaries reports, in the first run's order. */
export function sharedLayerNames(runs: readonly ComparisonRun[]): string[] {
  const withPosteriors = runs.filter((run) => run.data.posteriors.length > 0);
  if (withPosteriors.length === 0) return [];
  const names = (run: ComparisonRun) => run.data.posteriors.at(-1)!.layers.map((layer) => layer.name);
  return names(withPosteriors[0]).filter((name) => withPosteriors.every((run) => names(run).includes(name)));
}

/** Every step at which some compared run summarised its posterior, ascending. */
export function posteriorSteps(runs: readonly ComparisonRun[]): number[] {
  return [...new Set(runs.flatMap((run) => run.data.posteriors.map((event) => event.step)))].sort((a, b) => a - b);
}

const parameterText = {
  mu: { symbol: 'μ', axis: 'posterior mean μ (weight units)', range: { min: -1.5, max: 1.5 } },
  sigma: { symbol: 'σ', axis: 'posterior std σ (weight units)', range: { min: 0, max: 1 } },
} as const;

/**
 * The density of one layer's posterior μ (or σ) from every run, at `step` (each run's summary at
 * or before it; null: each run's latest). Runs without that layer are left out.
 */
export function posteriorOverlayFigure(
  runs: readonly ComparisonRun[],
  layerName: string,
  parameter: PosteriorParameter,
  step: number | null,
): ChartFigureSpec {
  const text = parameterText[parameter];
  const datasets = runs.flatMap((run, index) => {
    const event = eventAtStep(run.data.posteriors, step);
    const layer = event?.layers.find((candidate) => candidate.name === layerName);
    if (!event || !layer) return [];
    const label = step !== null && event.step !== step ? `${run.name} (step ${event.step})` : run.name;
    // Every other run dashed: densities of similar runs lie on top of one another.
    return [
      lineDataset(
        label,
        seriesColour(colourIndexOf(run, index)),
        histogramDensity(parameter === 'mu' ? layer.muHistogram : layer.sigmaHistogram),
        { borderWidth: 1.75, ...(index % 2 === 1 ? { borderDash: [6, 3] } : {}) },
      ),
    ];
  });
  const chart: ChartConfiguration = {
    type: 'scatter',
    data: { datasets },
    options: {
      ...baseOptions(),
      scales: { x: axis(text.axis, { ...text.range }), y: axis('density (per unit of the x axis)', { min: 0 }) },
    },
  };
  return {
    id: `compare-posterior-${parameter}`,
    kind: 'chart',
    title: `Posterior ${text.symbol} of ${layerName || 'a layer'}${step === null ? ', latest' : ` at step ${step}`}, per run`,
    caption: comparisonCaption(runs),
    width: 900,
    height: 500,
    chart,
  };
}

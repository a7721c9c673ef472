/**
 * Figures of dataset shift (Ovadia et al. 2019), pure specs of stored shift evaluations
 * (`runs/<id>/shift.json`, core/contract/shift.ts): a score against the shift level — one line per
 * run, or a mean ± std band per seed group (the paper's figure 2) — and the paper's figure 3:
 * accuracy and count of predictions with confidence ≥ τ, and the confidence histograms of the
 * held-out and OOD sets.
 */
import type { ChartConfiguration } from 'chart.js';
import { describePasses } from '../methods/index';
import type { ShiftEvaluation, ShiftKindName, ShiftLevelScores } from '../contract/shift';
import type { ShiftReferenceCurve } from '../shift/referenceCurves';
import { SHIFT_LABELS } from '../shift/shiftSets';
import { axis, baseOptions, lineDataset, markedPoints } from './chartParts';
import { withAlpha } from './comparison';
import { meanAndStd } from './comparisonData';
import { palette, seriesColour } from './palette';
import type { ChartFigureSpec } from './types';

export type ShiftMetric = 'accuracy' | 'nll' | 'brier' | 'ece' | 'meanEntropy' | 'meanMutualInformation';

export const SHIFT_METRIC_LABELS: Record<ShiftMetric, string> = {
  accuracy: 'accuracy (%)',
  nll: 'NLL (nats)',
  brier: 'Brier score',
  ece: 'ECE (15 bins)',
  meanEntropy: 'mean predictive entropy (nats)',
  meanMutualInformation: 'mean mutual information (nats)',
};

/** A line of a shift figure: one run, or a seed group whose evaluations are averaged. */
export interface ShiftSeries {
  label: string;
  evaluations: readonly ShiftEvaluation[];
  /** Its palette index; by default its position among the series. */
  colourIndex?: number;
}

const UNIT_TITLES: Record<ShiftKindName, string> = {
  rotation: 'rotation (degrees)',
  roll: 'translation with wrap-around (pixels)',
  translation: 'padded translation (pixels)',
};

function metricPoints(levels: readonly ShiftLevelScores[], metric: ShiftMetric): { x: number; y: number }[] {
  const scale = metric === 'accuracy' ? 100 : 1;
  return levels.flatMap((level) => {
    const value = level[metric];
    return value === null ? [] : [{ x: level.level, y: value * scale }];
  });
}

/**
 * One score against one kind of shift, every series overlaid (a band over seeds where a series has
 * several); `references` (core/shift/referenceCurves.ts) that give this score are drawn dashed:
 * through their points, or across the axis where a reference has only its unshifted value.
 */
/** An x axis from 0 to `last` ticked every `step` (at most 15 ticks; else Chart.js's own). */
function axisWithLevelTicks(title: string, last: number, step: number) {
  const x = axis(title, { min: 0, max: last });
  if (last / step > 14) return x;
  const base = x as unknown as { ticks: Record<string, unknown> };
  return { ...x, ticks: { ...base.ticks, stepSize: step, maxTicksLimit: 15 } } as typeof x;
}

export function shiftCurveFigure(
  series: readonly ShiftSeries[],
  kind: ShiftKindName,
  metric: ShiftMetric,
  caption: string,
  references: readonly ShiftReferenceCurve[] = [],
): ChartFigureSpec {
  const datasets: Record<string, unknown>[] = [];
  series.forEach((line, index) => {
    const colour = series.length === 1 ? palette.textStrong : seriesColour(line.colourIndex ?? index);
    const curves = line.evaluations.map((evaluation) => metricPoints(evaluation.levels[kind], metric));
    if (curves.length === 1) {
      datasets.push(lineDataset(line.label, colour, curves[0], { ...markedPoints, borderWidth: 2 }));
      return;
    }
    const band = meanAndStd(curves);
    datasets.push(
      lineDataset(
        '',
        withAlpha(colour, 0.5),
        band.map((p) => ({ x: p.x, y: p.mean - p.std })),
        { borderWidth: 0.5, pointHitRadius: 0, fill: false },
      ),
      lineDataset(
        '',
        withAlpha(colour, 0.5),
        band.map((p) => ({ x: p.x, y: p.mean + p.std })),
        { borderWidth: 0.5, pointHitRadius: 0, fill: '-1', backgroundColor: withAlpha(colour, 0.18) },
      ),
      lineDataset(
        `${line.label}: mean ± std of ${curves.length}`,
        colour,
        band.map((p) => ({ x: p.x, y: p.mean })),
        { ...markedPoints, borderWidth: 2 },
      ),
    );
  });
  const lastLevel = Math.max(...datasets.flatMap((d) => (d.data as { x: number }[]).map((p) => p.x)), 1);
  const scale = metric === 'accuracy' ? 100 : 1;
  // References take the palette's colours after every series' own.
  const firstFreeColour = Math.max(0, ...series.map((line, index) => (line.colourIndex ?? index) + 1));
  references.forEach((reference, index) => {
    const points = reference.points.flatMap((point) => {
      const value = (point.values as Partial<Record<string, number>>)[metric];
      return value === undefined ? [] : [{ x: point.level, y: value * scale }];
    });
    if (points.length === 0) return;
    const unshiftedOnly = points.length === 1 && points[0].x === 0;
    datasets.push(
      lineDataset(
        `${reference.label} (reference)`,
        withAlpha(seriesColour(firstFreeColour + index), 0.85),
        unshiftedOnly ? [points[0], { x: lastLevel, y: points[0].y }] : points,
        { borderWidth: 1.25, borderDash: [6, 4], pointRadius: 0, pointHitRadius: 4 },
      ),
    );
  });
  const options = baseOptions();
  const chart: ChartConfiguration = {
    type: 'scatter',
    data: { datasets: datasets as never },
    options: {
      ...options,
      plugins: {
        ...options.plugins,
        legend: {
          position: 'top',
          align: 'end',
          labels: { usePointStyle: true, boxHeight: 7, color: palette.text, filter: (item) => item.text !== '' },
        },
      },
      scales: {
        // The last level (180°, 26 px), not Chart.js's rounded-up tick; ticks on the levels (every
        // 30°, every 2 px), not Chart.js's round numbers (0, 50, 100, 150, 180 said nothing of them).
        x: axisWithLevelTicks(UNIT_TITLES[kind], lastLevel, kind === 'rotation' ? 30 : 2),
        y: axis(SHIFT_METRIC_LABELS[metric], metric === 'accuracy' ? { min: 0, max: 100 } : { min: 0 }),
      },
    },
  };
  return {
    id: `shift-${kind}-${metric}`,
    kind: 'chart',
    title: `${SHIFT_METRIC_LABELS[metric]} under ${SHIFT_LABELS[kind].toLowerCase()}`,
    caption,
    width: 520,
    height: 340,
    chart,
  };
}

/**
 * Figure 3 of the paper, from one evaluation: `accuracy` — the accuracy of held-out predictions
 * with confidence ≥ τ; `count` — the fraction of each set's predictions with confidence ≥ τ
 * (an OOD set's should fall fast); `histogram` — the fraction of each set per confidence bin.
 */
export function confidenceFigure(
  evaluation: ShiftEvaluation,
  which: 'accuracy' | 'count' | 'histogram',
  caption: string,
  /** The run's method, which says what the evaluation's passes were (`T = 50 draws`, `M = 5 members`). */
  method?: string,
): ChartFigureSpec {
  const { thresholds, histogramEdges, sets } = evaluation.confidence;
  const shown = which === 'accuracy' ? sets.filter((set) => set.role === 'heldout') : sets;
  const datasets = shown.map((set, index) => {
    const colour = set.role === 'heldout' ? palette.textStrong : seriesColour(index - 1);
    const width = set.role === 'heldout' ? 2.5 : 1.5;
    const points =
      which === 'accuracy'
        ? thresholds.flatMap((tau, i) => {
            const accuracy = set.accuracyAtThreshold[i];
            return accuracy === null ? [] : [{ x: tau, y: accuracy * 100 }];
          })
        : which === 'count'
          ? thresholds.map((tau, i) => ({ x: tau, y: set.countAtThreshold[i] / set.count }))
          : set.histogram.map((count, b) => ({
              x: (histogramEdges[b] + histogramEdges[b + 1]) / 2,
              y: count / set.count,
            }));
    return lineDataset(set.name, colour, points, { borderWidth: width });
  });
  const titles = {
    accuracy: ['accuracy on examples with confidence ≥ τ (%)', 'Held-out accuracy against the confidence threshold'],
    count: ['fraction of the set with confidence ≥ τ', 'Predictions at or above a confidence threshold, per set'],
    histogram: ['fraction of the set', 'Confidence (max mean probability) per set'],
  } as const;
  const chart: ChartConfiguration = {
    type: 'scatter',
    data: { datasets },
    options: {
      ...baseOptions(),
      scales: {
        x: axis(which === 'histogram' ? 'confidence max_c p̄_c' : 'confidence threshold τ', { min: 0, max: 1 }),
        y: axis(titles[which][0], which === 'accuracy' ? { max: 100 } : { min: 0 }),
      },
    },
  };
  return {
    id: `shift-confidence-${which}`,
    kind: 'chart',
    title: `${titles[which][1]} (checkpoint step ${evaluation.checkpointStep}, ${describePasses(method, evaluation.draws)})`,
    caption,
    width: 520,
    height: 340,
    chart,
  };
}

/**
 * The numbers behind the comparison of runs: which metrics a set of runs has, each run's series of
 * a metric, the debiased smoothing of a series, seed groups and their mean ± std, metric values at
 * a step, and the CSV export. Pure functions of the runs' folded data (core/figures/runData), so
 * the renderer and a headless report compute the same thing. Figures are in ./comparison.
 */
import type { OodEvaluation } from '../contract/ood';
import type { PosthocFit } from '../contract/posthoc';
import type { RunConfig } from '../contract/runConfig';
import type { RunSummary } from '../contract/runSummary';
import { descriptorOf, registeredDescriptors } from '../experiments/registry';
import { lossPenaltyOf } from '../methods/index';
import { unionOfMetrics, withLossPenalty, type MetricDefinition } from '../scoring/index';
import { flattenConfig } from './configDiff';
import { csvField } from './csvField';
import { metricPoints, type Point } from './metricPoints';
import type { RunData } from './runData';

export type { Point };

/** One run as compared: what a caption needs, its tags (seed groups) and its folded events. */
export interface ComparisonRun {
  id: string;
  name: string;
  config: RunConfig;
  tags?: readonly string[];
  backend?: { name: string } | undefined;
  data: RunData;
  /** The run's final figures of merit (run.json), for the methods table's cost columns and fallbacks. */
  summary?: RunSummary | undefined;
  /** Its stored OOD evaluation (runs/<id>/ood.json), for the methods table's OOD columns. */
  ood?: OodEvaluation | null;
  /** Post-hoc methods fitted to it (runs/<id>/posthoc-<method>.json), each a row of the methods table. */
  posthoc?: readonly PosthocFit[];
  /**
   * Its series colour (an index into the palette) while it stays compared, so that checking or
   * unchecking another run, or another run's data arriving first, does not repaint it. Without it a
   * run takes the colour of its position (headless reports).
   */
  colourSlot?: number;
}

/** The palette index of a run drawn as the `position`-th series. */
export function colourIndexOf(run: ComparisonRun, position: number): number {
  return run.colourSlot ?? position;
}

/**
 * A metric as the compare view uses it: its definition (core/scoring, from the runs' descriptors)
 * with the comparison key, whether it is a per-step or a per-evaluation series, and its points.
 */
export interface ComparisonMetric extends Omit<MetricDefinition, 'source'> {
  key: string;
  /** Per training step (metrics events) or per evaluation (held-out evaluations, predictive snapshots). */
  source: 'step' | 'evaluation';
  definition: MetricDefinition;
  /** The run's raw values of this metric as (step, value), NaNs left out. */
  points(data: RunData): Point[];
}

function comparisonMetricOf(definition: MetricDefinition): ComparisonMetric {
  return {
    ...definition,
    key: definition.id,
    source: definition.source.event === 'metrics' ? 'step' : 'evaluation',
    definition,
    points: (data) => metricPoints(definition, data),
  };
}

/** Every metric a comparison can show (of every registered experiment), in the order the compare view lays them out. */
export const comparisonMetrics: readonly ComparisonMetric[] = unionOfMetrics(
  registeredDescriptors.map((descriptor) => descriptor.metrics),
)
  .filter((definition) => definition.compared)
  .map(comparisonMetricOf);

/** The loss's second term as these runs have it (ΣKL, ½Σw², or both named). */
const penaltyOfRuns = (runs: readonly ComparisonRun[]) =>
  lossPenaltyOf(runs.map((run) => (run.config as { method?: string }).method));

/** A comparison metric by key; given the compared runs, labelled as they have it (the `kl` series of a point method is ½Σw²). */
export function comparisonMetric(key: string, runs?: readonly ComparisonRun[]): ComparisonMetric {
  const metric = comparisonMetrics.find((candidate) => candidate.key === key);
  if (!metric)
    throw new Error(
      `Unknown comparison metric "${key}"; expected one of ${comparisonMetrics.map((m) => m.key).join(', ')}.`,
    );
  return runs ? comparisonMetricOf(withLossPenalty([metric.definition], penaltyOfRuns(runs))[0]) : metric;
}

/** The compared metrics of the runs' experiments that at least one run has a value of (a sinusoid has no ECE, a LeNet5 no MSE). */
export function availableMetrics(runs: readonly ComparisonRun[]): ComparisonMetric[] {
  const ofTheirExperiments = new Set(
    unionOfMetrics(runs.map((run) => descriptorOf(run.config).metrics)).map((definition) => definition.id),
  );
  // The `kl` series is ΣKL for VI runs and ½Σw² for point methods: named as these runs have it.
  const penalty = penaltyOfRuns(runs);
  const present = comparisonMetrics.filter(
    (metric) => ofTheirExperiments.has(metric.key) && runs.some((run) => metric.points(run.data).length > 0),
  );
  return withLossPenalty(
    present.map((metric) => metric.definition),
    penalty,
  ).map(comparisonMetricOf);
}

/**
 * Exponential moving average, debiased. TensorBoard's classic smoothing starts the average at the
 * first value, so early points are biased toward it; Adam's correction removes that:
 *   s_t = β s_{t−1} + (1 − β) x_t,  s_0 = 0,   ŝ_t = s_t / (1 − β^t).
 * This is the step-gap-aware variant: with uneven steps a point d typical gaps after the previous
 * one decays the average by β^d instead of β, and the debiasing divides by the weight actually
 * accumulated, w_t = β^d w_{t−1} + (1 − β^d), which is 1 − β^t for even steps. The typical gap
 * is the series' median, so evenly spaced series (every step, every evaluation) get the textbook EMA.
 */
export function smoothSeries(points: readonly Point[], weight: number): Point[] {
  if (weight <= 0 || points.length < 2) return points.map((point) => ({ ...point }));
  const beta = Math.min(weight, 0.999);
  const gaps = points
    .slice(1)
    .map((point, i) => point.x - points[i].x)
    .sort((a, b) => a - b);
  const typicalGap = gaps[Math.floor(gaps.length / 2)] || 1;
  let average = 0;
  let accumulated = 0;
  return points.map((point, i) => {
    const decay = i === 0 ? beta : beta ** Math.max((point.x - points[i - 1].x) / typicalGap, 0);
    average = decay * average + (1 - decay) * point.y;
    accumulated = decay * accumulated + (1 - decay);
    return { x: point.x, y: average / accumulated };
  });
}

export type SeedGrouping = 'none' | 'tag' | 'config';

export interface RunGroup {
  key: string;
  label: string;
  runs: ComparisonRun[];
  /** The palette index of the group's series: its first run's. */
  colourIndex: number;
}

/** The config without what differs between the seeds of one experiment: the seed and the preset's name. */
function configKey(config: RunConfig): string {
  const flat = flattenConfig(config);
  delete flat.seed;
  delete flat.preset;
  return JSON.stringify(Object.entries(flat).sort(([a], [b]) => a.localeCompare(b)));
}

function groupLabel(runs: readonly ComparisonRun[]): string {
  const base = runs[0].name.replace(/\s*·\s*seed \d+$/, '');
  return runs.length > 1 ? `${base} (${runs.length} seeds)` : runs[0].name;
}

/**
 * Seed groups of the runs, in the order their first run appears. By tag: runs sharing a tag (a
 * run's first tag that another compared run also has). By config: runs whose configurations are
 * identical except for the seed. A run without partners is a group of one.
 */
export function seedGroups(runs: readonly ComparisonRun[], by: SeedGrouping): RunGroup[] {
  const keyOf = (run: ComparisonRun): { key: string; label?: string } => {
    if (by === 'tag') {
      const shared = (run.tags ?? []).find((tag) =>
        runs.some((other) => other !== run && (other.tags ?? []).includes(tag)),
      );
      return shared ? { key: `tag:${shared}`, label: shared } : { key: `run:${run.id}` };
    }
    if (by === 'config') return { key: `config:${configKey(run.config)}` };
    return { key: `run:${run.id}` };
  };
  const groups = new Map<string, { label?: string; runs: ComparisonRun[] }>();
  for (const run of runs) {
    const { key, label } = keyOf(run);
    const group = groups.get(key) ?? { label, runs: [] };
    group.runs.push(run);
    groups.set(key, group);
  }
  return [...groups].map(([key, group], position) => ({
    key,
    label:
      group.label && group.runs.length > 1 ? `${group.label} (${group.runs.length} seeds)` : groupLabel(group.runs),
    runs: group.runs,
    colourIndex: colourIndexOf(group.runs[0], position),
  }));
}

export interface BandPoint {
  x: number;
  mean: number;
  /** Sample standard deviation over the runs that have this step (0 when only one has it). */
  std: number;
  /** How many runs had a value at this step. */
  count: number;
}

/** Mean ± std over several runs' series, step by step (steps any run has, ascending). */
export function meanAndStd(series: readonly (readonly Point[])[]): BandPoint[] {
  const byStep = new Map<number, number[]>();
  for (const points of series)
    for (const point of points) {
      const values = byStep.get(point.x) ?? [];
      values.push(point.y);
      byStep.set(point.x, values);
    }
  return [...byStep.keys()]
    .sort((a, b) => a - b)
    .map((x) => {
      const values = byStep.get(x)!;
      const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
      const variance =
        values.length > 1 ? values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1) : 0;
      return { x, mean, std: Math.sqrt(variance), count: values.length };
    });
}

/** The last point at or before `step` (null: the last point); null when the series has none there. */
export function valueAtStep(points: readonly Point[], step: number | null): Point | null {
  if (points.length === 0) return null;
  if (step === null) return points[points.length - 1];
  let found: Point | null = null;
  for (const point of points) {
    if (point.x > step) break;
    found = point;
  }
  return found;
}

export interface MetricValueRow {
  runId: string;
  name: string;
  /** Per metric key: the value at the chosen step (the last one at or before it) and at the run's end. */
  values: Record<string, { atStep: Point | null; atEnd: Point | null }>;
}

export function metricValuesAt(
  runs: readonly ComparisonRun[],
  step: number,
  metrics: readonly ComparisonMetric[] = availableMetrics(runs),
): MetricValueRow[] {
  return runs.map((run) => {
    const values: MetricValueRow['values'] = {};
    for (const metric of metrics) {
      const points = metric.points(run.data);
      values[metric.key] = { atStep: valueAtStep(points, step), atEnd: valueAtStep(points, null) };
    }
    return { runId: run.id, name: run.name, values };
  });
}

/** The largest step any of the runs reached (what a step slider spans). */
export function lastStep(runs: readonly ComparisonRun[]): number {
  let last = 0;
  for (const run of runs) {
    last = Math.max(
      last,
      run.data.metrics.step.at(-1) ?? 0,
      run.data.evaluations.at(-1)?.step ?? 0,
      run.data.posteriors.at(-1)?.step ?? 0,
    );
  }
  return last;
}

/**
 * The compared metrics as CSV: one row per run per step at which it has any of them (training
 * steps and evaluation steps), one column per metric, raw values (fractions, not percent); empty
 * where a run has no value at that step (an evaluation metric between evaluations).
 */
export function comparisonCsv(
  runs: readonly ComparisonRun[],
  metrics: readonly ComparisonMetric[] = availableMetrics(runs),
): string {
  const lines = [['run_id', 'run_name', 'step', ...metrics.map((metric) => metric.csvColumn)].join(',')];
  for (const run of runs) {
    const columns = metrics.map((metric) => new Map(metric.points(run.data).map((point) => [point.x, point.y])));
    const steps = [...new Set(columns.flatMap((column) => [...column.keys()]))].sort((a, b) => a - b);
    for (const step of steps) {
      lines.push(
        [
          csvField(run.id),
          csvField(run.name),
          String(step),
          ...columns.map((column) => csvField(column.get(step) ?? null)),
        ].join(','),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

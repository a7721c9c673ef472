/**
 * A run's events folded into the series figures plot: metrics per step, one entry per held-out
 * evaluation and per posterior summary, the latest regression snapshot, progress and status.
 * The renderer folds the live stream into it event by event; a headless host folds a stored
 * `events.ndjson` with `runDataFromEvents`. Events repeated by step (the overlap between a
 * fetched history and the live stream) are ignored, so folding is idempotent per step. A run
 * resumed from its checkpoint says so on its `queued` status (`resumedFromStep`): what was
 * trained after that step was lost and is dropped here, as in core/contract/runTimeline.ts.
 */
import type {
  HeldoutEvent,
  MetricsEvent,
  PosteriorEvent,
  ProgressEvent,
  RegressionEvent,
  RunEvent,
  StatusEvent,
} from '../contract/runEvent';

/** Per-step metrics as parallel arrays: what a line chart consumes without reshaping. */
export interface MetricSeries {
  step: number[];
  loss: number[];
  nll: number[];
  kl: number[];
  klWeight: number[];
  /** Training-batch accuracy (classification runs); NaN where a step has none. */
  accuracy: number[];
  /** Mean squared error of the training fit (regression runs); NaN where a step has none. */
  mse: number[];
  /** Deep ensembles: each member's NLL per step (an empty list where a step has none). */
  memberNll: number[][];
  /** Deep ensembles: the mixture's NLL per step; NaN where a step has none. */
  ensembleNll: number[];
}

export interface RunData {
  metrics: MetricSeries;
  /** Held-out evaluations in step order. */
  evaluations: HeldoutEvent[];
  /** Weight-posterior summaries in step order (emitted with each evaluation). */
  posteriors: PosteriorEvent[];
  regression: RegressionEvent | null;
  /** How many regression snapshots arrived (each replaces the previous one). */
  regressionSnapshots: number;
  progress: ProgressEvent | null;
  status: StatusEvent | null;
}

export function emptyMetricSeries(): MetricSeries {
  return { step: [], loss: [], nll: [], kl: [], klWeight: [], accuracy: [], mse: [], memberNll: [], ensembleNll: [] };
}

export function emptyRunData(): RunData {
  return {
    metrics: emptyMetricSeries(),
    evaluations: [],
    posteriors: [],
    regression: null,
    regressionSnapshots: 0,
    progress: null,
    status: null,
  };
}

function appendMetrics(series: MetricSeries, event: MetricsEvent): boolean {
  const lastStep = series.step.at(-1);
  if (lastStep !== undefined && event.step <= lastStep) return false;
  series.step.push(event.step);
  series.loss.push(event.loss);
  series.nll.push(event.nll);
  series.kl.push(event.kl);
  series.klWeight.push(event.klWeight);
  series.accuracy.push(event.accuracy ?? Number.NaN);
  series.mse.push(event.mse ?? Number.NaN);
  series.memberNll.push(event.memberNll ?? []);
  series.ensembleNll.push(event.ensembleNll ?? Number.NaN);
  return true;
}

function appendByStep<T extends { step: number }>(list: T[], event: T): boolean {
  const last = list.at(-1);
  if (last && event.step <= last.step) return false;
  list.push(event);
  return true;
}

/** Forgets everything trained after `step` (a resume from the checkpoint at `step` trains it again). */
function dropAfter(data: RunData, step: number): void {
  const keep = data.metrics.step.findIndex((value) => value > step);
  if (keep !== -1) for (const values of Object.values(data.metrics) as unknown[][]) values.splice(keep);
  data.evaluations = data.evaluations.filter((event) => event.step <= step);
  data.posteriors = data.posteriors.filter((event) => event.step <= step);
  if (data.regression && data.regression.step > step) data.regression = null;
  if (data.progress && data.progress.step > step) data.progress = null;
}

/** Folds one event into `data` in place; returns whether anything changed. */
export function applyRunEvent(data: RunData, event: RunEvent): boolean {
  switch (event.type) {
    case 'metrics':
      return appendMetrics(data.metrics, event);
    case 'heldout':
      return appendByStep(data.evaluations, event);
    case 'posterior':
      return appendByStep(data.posteriors, event);
    case 'regression':
      if (data.regression && event.step <= data.regression.step) return false;
      data.regression = event;
      data.regressionSnapshots += 1;
      return true;
    case 'progress':
      if (data.progress && event.step < data.progress.step) return false;
      data.progress = event;
      return true;
    case 'status':
      if (data.status && event.time < data.status.time) return false;
      // Strictly newer only: the same status seen twice (history and stream) must not truncate again.
      if (event.resumedFromStep !== undefined && (!data.status || event.time > data.status.time))
        dropAfter(data, event.resumedFromStep);
      data.status = event;
      return true;
  }
}

export function runDataFromEvents(events: Iterable<RunEvent>): RunData {
  const data = emptyRunData();
  for (const event of events) applyRunEvent(data, event);
  return data;
}

/** The event of `list` at `step`, or the last one before it; the last one when `step` is null. */
export function eventAtStep<T extends { step: number }>(list: readonly T[], step: number | null): T | null {
  if (list.length === 0) return null;
  if (step === null) return list[list.length - 1];
  let found: T | null = null;
  for (const item of list) {
    if (item.step > step) break;
    found = item;
  }
  return found ?? list[0];
}

/** The steps at which the run was evaluated (held-out or posterior), ascending, without repeats. */
export function evaluationSteps(data: Pick<RunData, 'evaluations' | 'posteriors'>): number[] {
  const steps = new Set<number>();
  for (const event of data.evaluations) steps.add(event.step);
  for (const event of data.posteriors) steps.add(event.step);
  return [...steps].sort((a, b) => a - b);
}

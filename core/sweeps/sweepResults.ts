/**
 * What a sweep found: the final scores its runs have (numeric fields of run.json's summary that
 * are figures of merit, not settings), which way each is better (the experiment's acceptance
 * criteria and metric definitions say), and its seed groups ranked by the mean of a chosen score
 * over their seeds (± the sample standard deviation).
 */
import { descriptorOf } from '../experiments/registry';

/** Summary fields that record how a run was set up or how fast it went, not how good it is. */
const settingKeys = new Set([
  'seed',
  'epochs',
  'steps',
  'batchSize',
  'trainImages',
  'klWeight',
  'stepsPerSecond',
  'heldoutImages',
  'threshold',
  'evalDraws',
  'evalSeconds',
]);

/** What the results need of a run's record. */
export interface ScoredRun {
  id: string;
  state: string;
  config: { experiment: string };
  summary?: Record<string, unknown> | undefined;
}

export type ScoreDirection = 'higher' | 'lower' | 'none';

/** The final scores the runs have, in the order their summaries list them. */
export function scoreKeysOf(runs: readonly ScoredRun[]): string[] {
  const keys = new Set<string>();
  for (const run of runs)
    for (const [key, value] of Object.entries(run.summary ?? {}))
      if (typeof value === 'number' && !settingKeys.has(key)) keys.add(key);
  return [...keys];
}

/** The run's value of a score, or null when it has none (unfinished, or not measured). */
export function scoreOf(run: ScoredRun, key: string): number | null {
  const value = run.summary?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Which way a score is better for an experiment: its acceptance criterion, else its metric, else a loss is lower. */
export function scoreDirection(experiment: string, key: string): ScoreDirection {
  let descriptor;
  try {
    descriptor = descriptorOf(experiment);
  } catch {
    return 'none';
  }
  const criterion = descriptor.acceptance?.find((candidate) => candidate.summaryKey === key);
  if (criterion) return criterion.comparison === '≥' ? 'higher' : 'lower';
  const metric = descriptor.metrics.find(
    (candidate) => candidate.id === key || `final${capitalize(candidate.id)}` === key,
  );
  if (metric && metric.direction !== 'none') return metric.direction;
  if (/loss|nll|kl$/i.test(key)) return 'lower';
  return 'none';
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface RankedGroup {
  axisValues: Record<string, unknown>;
  runIds: string[];
  /** Scores of the group's completed runs that have one. */
  values: number[];
  mean: number | null;
  /** Sample standard deviation (n − 1); null below two values. */
  std: number | null;
}

export function meanAndStd(values: readonly number[]): { mean: number | null; std: number | null } {
  if (values.length === 0) return { mean: null, std: null };
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  if (values.length < 2) return { mean, std: null };
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}

/**
 * The seed groups ranked by their mean `scoreKey` (best first for `direction`; highest first when
 * it has none); groups without a score come last, in their sweep order.
 */
export function rankSeedGroups(
  groups: readonly { axisValues: Record<string, unknown>; runIds: readonly string[] }[],
  runsById: ReadonlyMap<string, ScoredRun>,
  scoreKey: string,
  direction: ScoreDirection,
): RankedGroup[] {
  const ranked = groups.map((group) => {
    const values = group.runIds
      .map((id) => runsById.get(id))
      .filter((run): run is ScoredRun => run !== undefined && run.state === 'completed')
      .map((run) => scoreOf(run, scoreKey))
      .filter((value): value is number => value !== null);
    return { axisValues: group.axisValues, runIds: [...group.runIds], values, ...meanAndStd(values) };
  });
  const sign = direction === 'lower' ? 1 : -1;
  return ranked
    .map((group, order) => ({ group, order }))
    .sort((a, b) => {
      if (a.group.mean === null || b.group.mean === null)
        return a.group.mean === b.group.mean ? a.order - b.order : a.group.mean === null ? 1 : -1;
      return sign * (a.group.mean - b.group.mean) || a.order - b.order;
    })
    .map(({ group }) => group);
}

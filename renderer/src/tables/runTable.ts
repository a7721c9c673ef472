/**
 * The runs table's model, pure so it can be tested without a DOM: its columns (name, state,
 * method, experiment, the swept keys — configuration keys whose value differs between the listed
 * runs, a sweep's axes first — and the final scores), filtering, a stable sort with empty values
 * last, and grouping by any configuration key into header rows followed by their runs.
 */
import { canonicalJson, configKeys, formatAxisValue, valueAt } from '../../../core/sweeps/expandSweep';
import { scoreKeysOf, scoreOf } from '../../../core/sweeps/sweepResults';
import { formatMetric } from '../../../core/figures/format';
import type { RunRecord } from '../../../core/contract/workbenchApi';

export type TableRun = RunRecord & { damaged?: { reason: string } };

export interface RunColumn {
  id: string;
  label: string;
  /** Numbers sort numerically and align right. */
  numeric: boolean;
  /** Width in pixels (the name column takes what is left, at least this). */
  width: number;
  /** What the column sorts by. */
  sortValue(run: TableRun): string | number | null;
  /** What a cell shows. */
  text(run: TableRun): string;
}

export type SortDirection = 'asc' | 'desc';

/** Keys that say how a run is kept, not what it trains: never offered as swept columns. */
// Keys with a column of their own (method, experiment) or that say nothing of the run's result.
const ignoredKeys = new Set(['experiment', 'method', 'preset', 'backend']);
const maxKeyColumns = 8;
const maxScoreColumns = 6;

/** Configuration keys whose value is not the same in every run (seed last), with `preferred` (sweep axes) first. */
export function varyingKeys(runs: readonly TableRun[], preferred: readonly string[] = []): string[] {
  const first = new Map<string, string>();
  const varying = new Set<string>();
  const seen = new Map<string, number>();
  for (const run of runs) {
    for (const key of configKeys(run.config)) {
      if (ignoredKeys.has(key)) continue;
      const text = canonicalJson(valueAt(run.config, key));
      seen.set(key, (seen.get(key) ?? 0) + 1);
      const before = first.get(key);
      if (before === undefined) first.set(key, text);
      else if (before !== text) varying.add(key);
    }
  }
  // A key only some runs have (another experiment's) varies too, but says little: keep keys most runs share.
  for (const [key, count] of seen) if (count < runs.length && !preferred.includes(key)) varying.delete(key);
  const ordered = [
    ...preferred.filter((key) => varying.has(key)),
    ...[...varying].filter((key) => !preferred.includes(key) && key !== 'seed').sort(),
  ];
  return [...ordered.slice(0, maxKeyColumns), ...(varying.has('seed') && !preferred.includes('seed') ? ['seed'] : [])];
}

/** Every grouping key a run table can offer: the configuration keys of the listed runs, plus sweep and tag. */
export function groupableKeys(runs: readonly TableRun[]): string[] {
  const keys = new Set<string>();
  for (const run of runs.slice(0, 200)) for (const key of configKeys(run.config)) keys.add(key);
  return ['sweep', 'state', ...[...keys].sort()];
}

/** The final scores most runs have, at most a few. */
export function scoreColumnsOf(runs: readonly TableRun[]): string[] {
  const counts = new Map<string, number>();
  for (const run of runs) for (const key of scoreKeysOf([run])) counts.set(key, (counts.get(key) ?? 0) + 1);
  // Most common first; the training losses (finalLoss, …) after the figures of merit.
  const isLoss = (key: string) => (key.startsWith('final') ? 1 : 0);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || isLoss(a[0]) - isLoss(b[0]))
    .slice(0, maxScoreColumns)
    .map(([key]) => key);
}

function cellValue(value: unknown): string | number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return value;
  return formatAxisValue(value);
}

/** Room for the longest name (about 7.3 px a character at the table's size), within limits: names are not cut short. */
export function nameColumnWidth(runs: readonly TableRun[]): number {
  const longest = runs.reduce((most, run) => Math.max(most, run.name.length), 0);
  return Math.round(Math.min(560, Math.max(220, longest * 7.3 + 50)));
}

export function buildColumns(keys: readonly string[], scores: readonly string[], nameWidth = 260): RunColumn[] {
  return [
    {
      id: 'name',
      label: 'Name',
      numeric: false,
      width: nameWidth,
      sortValue: (run) => run.name.toLowerCase(),
      text: (run) => run.name,
    },
    {
      id: 'state',
      label: 'State',
      numeric: false,
      width: 112,
      sortValue: (run) => run.state,
      text: (run) => run.state,
    },
    {
      id: 'method',
      label: 'Method',
      numeric: false,
      width: 96,
      sortValue: (run) => run.config.method,
      text: (run) => run.config.method,
    },
    ...keys.map<RunColumn>((key) => ({
      id: `config:${key}`,
      label: key,
      numeric: true,
      width: Math.max(70, Math.min(150, key.length * 7 + 32)),
      sortValue: (run) => cellValue(valueAt(run.config, key)),
      text: (run) => {
        const value = valueAt(run.config, key);
        return value === undefined || value === null ? '—' : formatAxisValue(value);
      },
    })),
    ...scores.map<RunColumn>((key) => ({
      id: `score:${key}`,
      label: key,
      numeric: true,
      width: Math.max(80, Math.min(136, key.length * 7 + 32)),
      sortValue: (run) => scoreOf(run, key),
      text: (run) => {
        const value = scoreOf(run, key);
        return value === null ? '—' : formatMetric(value);
      },
    })),
    {
      id: 'experiment',
      label: 'Experiment',
      numeric: false,
      width: 96,
      sortValue: (run) => run.config.experiment,
      text: (run) => run.config.experiment,
    },
    {
      id: 'createdAt',
      label: 'Created',
      numeric: false,
      width: 118,
      sortValue: (run) => run.createdAt,
      text: (run) => run.createdAt.slice(0, 16).replace('T', ' '),
    },
  ];
}

export interface RunFilter {
  text: string;
  state: string;
  tag: string;
}

export function filterRuns(runs: readonly TableRun[], filter: RunFilter): TableRun[] {
  const needle = filter.text.trim().toLowerCase();
  return runs.filter(
    (run) =>
      (filter.state === '' || run.state === filter.state) &&
      (filter.tag === '' || run.tags.includes(filter.tag)) &&
      (needle === '' ||
        run.name.toLowerCase().includes(needle) ||
        run.id.toLowerCase().includes(needle) ||
        run.config.method.toLowerCase().includes(needle) ||
        run.config.experiment.toLowerCase().includes(needle) ||
        run.tags.some((tag) => tag.toLowerCase().includes(needle)) ||
        (run.sweep?.sweepName.toLowerCase().includes(needle) ?? false)),
  );
}

function compareValues(a: string | number | null, b: string | number | null): number {
  if (a === null || b === null) return 0;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** A stable sort by `column`; runs without a value come last in either direction. */
export function sortRuns(
  runs: readonly TableRun[],
  column: RunColumn | undefined,
  direction: SortDirection,
): TableRun[] {
  if (!column) return [...runs];
  const sign = direction === 'asc' ? 1 : -1;
  const keyed = runs.map((run, index) => ({ run, index, value: column.sortValue(run) }));
  keyed.sort((a, b) => {
    if (a.value === null || b.value === null)
      return a.value === b.value ? a.index - b.index : a.value === null ? 1 : -1;
    return sign * compareValues(a.value, b.value) || a.index - b.index;
  });
  return keyed.map((entry) => entry.run);
}

export type TableRow =
  | { kind: 'group'; key: string; label: string; count: number; runIds: string[]; collapsed: boolean }
  | { kind: 'run'; key: string; run: TableRun };

/** What a run's value of a grouping key is, as a group's label. */
export function groupLabelOf(run: TableRun, groupBy: string): string {
  if (groupBy === 'sweep') return run.sweep ? run.sweep.sweepName : 'not in a sweep';
  if (groupBy === 'state') return run.state;
  if (groupBy === 'tag') return run.tags[0] ?? 'no tag';
  const value = valueAt(run.config, groupBy);
  return value === undefined ? '—' : `${groupBy} = ${formatAxisValue(value)}`;
}

/** The rows the table draws: runs as sorted, or under a header row per group (groups in order of first appearance). */
export function tableRows(runs: readonly TableRun[], groupBy: string, collapsed: ReadonlySet<string>): TableRow[] {
  if (groupBy === '') return runs.map((run) => ({ kind: 'run', key: run.id, run }));
  const groups = new Map<string, TableRun[]>();
  for (const run of runs) {
    const label = groupLabelOf(run, groupBy);
    const members = groups.get(label) ?? [];
    members.push(run);
    groups.set(label, members);
  }
  const rows: TableRow[] = [];
  for (const [label, members] of groups) {
    const isCollapsed = collapsed.has(label);
    rows.push({
      kind: 'group',
      key: `group:${label}`,
      label,
      count: members.length,
      runIds: members.map((run) => run.id),
      collapsed: isCollapsed,
    });
    if (!isCollapsed) for (const run of members) rows.push({ kind: 'run', key: run.id, run });
  }
  return rows;
}

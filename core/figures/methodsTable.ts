/**
 * The methods table of a comparison (issue 11, as the tables of uncertainty-baselines and Ovadia et
 * al. 2019): one row per run or seed group (mean ± sample std over its seeds), one column per score,
 * the best of each column marked with its direction in mind (NLL lower, accuracy higher…). Pure
 * function of the compared runs' data (held-out evaluations, regression snapshots, summaries) and
 * their stored OOD evaluations, so the compare view, its PNG/SVG/PDF and CSV exports and the
 * comparison report show the same numbers (written through ./methodsTableOutputs).
 *
 * Classification: accuracy, held-out NLL (−held-out nats), Brier, ECE, AURC from the last held-out
 * evaluation; OOD AUROC and FPR at 95 % TPR by predictive entropy and by mutual information, and the
 * AUROC by max probability, against one out-of-distribution set of ood.json ("n/a" where mutual
 * information does not apply).
 * Regression: stdRatio, rmseInside, coverageInside of the last band, and the final training NLL
 * (summed over the points). Cost, both: training time (optimizer steps only, evaluations excluded:
 * steps ÷ steps/s), prediction time per image (the last evaluation's seconds ÷ images, all passes
 * included), trainable parameters.
 *
 * Post-hoc methods (temperature scaling, last-layer Laplace: whatever the registry marks `postHoc`)
 * fitted to runs of a row (stored as runs/<id>/posthoc-<method>.json) add a row under it, "<method> +
 * <post-hoc method>", with the fits' `after` scores averaged over the row's runs that have the fit
 * (how many is said), OOD separation from the fit's own OOD sets, and the base runs' training time
 * and parameters; prediction time only where the fit measured it.
 */
import type { PosthocFit } from '../contract/posthoc';
import type { RunSummary } from '../contract/runSummary';
import { descriptorOf } from '../experiments/registry';
import { hasEpistemicPart, methods, type MethodId, type TaskKind } from '../methods/index';
import { seedGroups, type ComparisonRun, type SeedGrouping } from './comparisonData';

/** A compared run; the table reads its summary and stored OOD evaluation besides its events. */
export type MethodsTableRun = ComparisonRun;

export type Direction = 'higher' | 'lower';

export interface MethodsColumn {
  key: string;
  /** Column heading, with its unit. */
  label: string;
  /** Which way is better; the best row of the column is marked. */
  better: Direction;
  /** The CSV's column name. */
  csvColumn: string;
  format(value: number): string;
  /**
   * The part of the table the column belongs to when a narrow view splits it (scores when absent):
   * out-of-distribution detection, or what the method costs.
   */
  part?: 'ood' | 'cost';
  /** The heading inside its part, where the part's caption says the rest ("AUROC entropy" under "OOD"). */
  shortLabel?: string;
  /**
   * A post-hoc row shows its base runs' value here (training time, parameters): it repeats theirs
   * rather than competing with them, so it is never marked best in this column.
   */
  fromBaseRun?: boolean;
}

/** A score of one run: a number, missing (null), or not applicable with the reason. */
export type RunScore = number | null | { notApplicable: string };

export interface MethodsCell {
  mean: number | null;
  /** Sample std over the group's runs that have the score (0 for one run). */
  std: number;
  /** Runs that contributed a value. */
  count: number;
  /** Set when the score does not apply to the group's runs (mutual information of a point method). */
  notApplicable?: string;
}

export interface MethodsRow {
  key: string;
  label: string;
  method: string;
  runIds: string[];
  cells: Record<string, MethodsCell>;
  /** A post-hoc row: the method fitted, and how many of the base row's runs have the fit (`runIds` are those). */
  posthoc?: { method: MethodId; runsWithFit: number; runsInGroup: number };
}

export interface MethodsTable {
  taskKind: TaskKind;
  columns: MethodsColumn[];
  rows: MethodsRow[];
  /** Per column key, the keys of the rows holding its best mean (ties: all of them). */
  best: Record<string, string[]>;
  /** The out-of-distribution set of the OOD columns (classification), or null when no run has one. */
  oodSet: string | null;
}

export interface MethodsTableOptions {
  grouping?: SeedGrouping;
  /** The OOD set of the OOD columns; default Fashion-MNIST when present, else the first set. */
  oodSet?: string;
}

const fixed = (digits: number) => (value: number) => value.toFixed(digits);
const percent = (value: number) => `${(value * 100).toFixed(2)} %`;
const seconds = (value: number) => (value >= 100 ? value.toFixed(0) : value.toPrecision(3));
const count = (value: number) => Math.round(value).toLocaleString('en-US');

const costColumns = (taskKind: TaskKind): MethodsColumn[] => [
  {
    key: 'trainSeconds',
    label: 'training time (s)',
    better: 'lower',
    csvColumn: 'train_seconds',
    format: seconds,
    part: 'cost',
    fromBaseRun: true,
  },
  ...(taskKind === 'classification'
    ? [
        {
          key: 'predictMsPerImage',
          label: 'prediction (ms/image)',
          better: 'lower' as const,
          csvColumn: 'predict_ms_per_image',
          format: (value: number) => value.toPrecision(3),
          part: 'cost' as const,
        },
      ]
    : []),
  {
    key: 'parameters',
    label: 'parameters',
    better: 'lower',
    csvColumn: 'parameters',
    format: count,
    part: 'cost',
    fromBaseRun: true,
  },
];

/** The OOD columns' set is named in the figure's title and note, not in every heading. */
function classificationColumns(): MethodsColumn[] {
  return [
    { key: 'accuracy', label: 'accuracy', better: 'higher', csvColumn: 'accuracy', format: percent },
    { key: 'nll', label: 'NLL (nats)', better: 'lower', csvColumn: 'nll', format: fixed(4) },
    { key: 'brier', label: 'Brier', better: 'lower', csvColumn: 'brier', format: fixed(4) },
    { key: 'ece', label: 'ECE', better: 'lower', csvColumn: 'ece', format: fixed(4) },
    { key: 'aurc', label: 'AURC', better: 'lower', csvColumn: 'aurc', format: fixed(4) },
    {
      key: 'aurocEntropy',
      label: 'OOD AUROC entropy',
      shortLabel: 'AUROC entropy',
      better: 'higher',
      csvColumn: 'ood_auroc_entropy',
      format: fixed(4),
      part: 'ood',
    },
    {
      key: 'fprEntropy',
      label: 'FPR@95 entropy',
      better: 'lower',
      csvColumn: 'ood_fpr95_entropy',
      format: percent,
      part: 'ood',
    },
    {
      key: 'aurocMi',
      label: 'OOD AUROC MI',
      shortLabel: 'AUROC MI',
      better: 'higher',
      csvColumn: 'ood_auroc_mi',
      format: fixed(4),
      part: 'ood',
    },
    { key: 'fprMi', label: 'FPR@95 MI', better: 'lower', csvColumn: 'ood_fpr95_mi', format: percent, part: 'ood' },
    {
      key: 'aurocMaxProbability',
      label: 'OOD AUROC max p',
      shortLabel: 'AUROC max p',
      better: 'higher',
      csvColumn: 'ood_auroc_max_probability',
      format: fixed(4),
      part: 'ood',
    },
    ...costColumns('classification'),
  ];
}

function regressionColumns(): MethodsColumn[] {
  return [
    { key: 'stdRatio', label: 'stdRatio', better: 'higher', csvColumn: 'std_ratio', format: fixed(2) },
    { key: 'rmseInside', label: 'rmseInside', better: 'lower', csvColumn: 'rmse_inside', format: fixed(3) },
    {
      key: 'coverageInside',
      label: 'coverageInside',
      better: 'higher',
      csvColumn: 'coverage_inside',
      format: fixed(3),
    },
    { key: 'nll', label: 'training NLL (summed)', better: 'lower', csvColumn: 'training_nll', format: fixed(2) },
    ...costColumns('regression'),
  ];
}

const numberOf = (summary: RunSummary | undefined, key: string): number | null => {
  const value = summary?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
};

/** The OOD set the table reports: the requested one, else Fashion-MNIST, else the first any run has. */
function chooseOodSet(runs: readonly MethodsTableRun[], requested?: string): string | null {
  const names = [
    ...new Set(
      runs.flatMap((run) => [
        ...(run.ood?.outOfDistribution.map((set) => set.name) ?? []),
        ...(run.posthoc ?? []).flatMap((fit) => fit.ood?.sets.map((set) => set.name) ?? []),
      ]),
    ),
  ];
  if (requested && names.includes(requested)) return requested;
  return names.find((name) => /fashion/i.test(name)) ?? names[0] ?? null;
}

function trainSeconds(run: MethodsTableRun): number | null {
  const steps = numberOf(run.summary, 'steps') ?? numberOf(run.summary, 'epochs');
  const rate = numberOf(run.summary, 'stepsPerSecond');
  return steps !== null && rate !== null && rate > 0 ? steps / rate : null;
}

/** Trainable parameters: the summary's (point methods), else μ and ρ of every posterior weight (VI). */
function parameters(run: MethodsTableRun): number | null {
  const stored = numberOf(run.summary, 'parameterCount');
  if (stored !== null) return stored;
  const posterior = run.data.posteriors.at(-1);
  return posterior ? 2 * posterior.layers.reduce((sum, layer) => sum + layer.weights, 0) : null;
}

const negated = (value: number | null) => (value === null ? null : -value);

/** Every score of one run, by column key. */
export function runScores(run: MethodsTableRun, taskKind: TaskKind, oodSet: string | null): Record<string, RunScore> {
  const cost = { trainSeconds: trainSeconds(run), parameters: parameters(run) };
  if (taskKind === 'regression') {
    const band = run.data.regression;
    const nll = run.data.metrics.nll.at(-1);
    // A method without an epistemic part draws no band: its width ratio and its coverage (0 for a band of
    // width 0) say nothing about it, so they are "n/a" rather than a number that could lose or win.
    const noBand = !hasEpistemicPart((run.config as { method?: MethodId }).method ?? 'vi')
      ? { notApplicable: 'not applicable: one set of point weights has no epistemic band' }
      : null;
    return {
      stdRatio: noBand ?? (band ? band.stdRatio : numberOf(run.summary, 'stdRatio')),
      rmseInside: band?.rmseInside ?? numberOf(run.summary, 'rmseInside'),
      coverageInside: noBand ?? band?.coverageInside ?? numberOf(run.summary, 'coverageInside'),
      nll: nll ?? numberOf(run.summary, 'finalNll'),
      ...cost,
    };
  }
  const evaluation = run.data.evaluations.at(-1);
  const set = oodSet ? run.ood?.outOfDistribution.find((candidate) => candidate.name === oodSet) : undefined;
  const miReason = run.ood?.notApplicable?.mutualInformation;
  const mi = (field: 'auroc' | 'fprAt95Tpr'): RunScore =>
    set?.scores?.mutualInformation?.[field] ?? (set && miReason ? { notApplicable: miReason } : null);
  return {
    accuracy: evaluation?.accuracy ?? numberOf(run.summary, 'heldoutAccuracy'),
    nll: evaluation ? -evaluation.heldoutNats : negated(numberOf(run.summary, 'heldoutNats')),
    brier: evaluation?.brier ?? numberOf(run.summary, 'brier'),
    ece: evaluation?.ece ?? numberOf(run.summary, 'ece'),
    aurc: evaluation?.aurc ?? numberOf(run.summary, 'aurc'),
    aurocEntropy: set?.scores?.predictiveEntropy?.auroc ?? null,
    fprEntropy: set?.scores?.predictiveEntropy?.fprAt95Tpr ?? null,
    aurocMi: mi('auroc'),
    fprMi: mi('fprAt95Tpr'),
    aurocMaxProbability: set?.scores?.maxProbability?.auroc ?? null,
    predictMsPerImage: evaluation && evaluation.images > 0 ? (1000 * evaluation.evalSeconds) / evaluation.images : null,
    ...cost,
  };
}

const finite = (value: number | null | undefined): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/**
 * Every score of one run's post-hoc fit, by column key: the fit's `after` scores, its OOD separation
 * (after) of the table's OOD set, the base run's training time and parameters.
 */
export function posthocScores(
  run: MethodsTableRun,
  fit: PosthocFit,
  taskKind: TaskKind,
  oodSet: string | null,
): Record<string, RunScore> {
  const cost = {
    trainSeconds: trainSeconds(run),
    parameters: parameters(run),
    predictMsPerImage: finite(fit.predictMsPerImage),
  };
  const after = fit.after;
  if (taskKind === 'regression') {
    return {
      stdRatio: finite(after.stdRatio),
      rmseInside: finite(after.rmseInside),
      coverageInside: finite(after.coverageInside),
      nll: null, // the fit changes the predictive, not the training loss
      ...cost,
    };
  }
  const set = oodSet ? fit.ood?.sets.find((candidate) => candidate.name === oodSet) : undefined;
  const miReason = fit.ood?.notApplicable.after?.mutualInformation;
  const mi = (field: 'auroc' | 'fprAt95Tpr'): RunScore =>
    set?.after.mutualInformation?.[field] ?? (set && miReason ? { notApplicable: miReason } : null);
  return {
    accuracy: finite(after.accuracy),
    nll: negated(finite(after.heldoutNats)),
    brier: finite(after.brier),
    ece: finite(after.ece),
    aurc: finite(after.aurc),
    aurocEntropy: set?.after.predictiveEntropy?.auroc ?? null,
    fprEntropy: set?.after.predictiveEntropy?.fprAt95Tpr ?? null,
    aurocMi: mi('auroc'),
    fprMi: mi('fprAt95Tpr'),
    aurocMaxProbability: set?.after.maxProbability?.auroc ?? null,
    ...cost,
  };
}

/** The post-hoc methods of the registry, in its order. */
const postHocMethods = Object.values(methods).filter((method) => method.capabilities.postHoc);

/**
 * The post-hoc rows of one run / seed group row: one per post-hoc method that at least one of its
 * runs has a fit of, averaged over those runs.
 */
function posthocRows(
  base: MethodsRow,
  members: readonly MethodsTableRun[],
  taskKind: TaskKind,
  oodSet: string | null,
  columns: readonly MethodsColumn[],
): MethodsRow[] {
  return postHocMethods.flatMap((method) => {
    const fitted = members.flatMap((run) => {
      const fit = run.posthoc?.find((candidate) => candidate.method === method.id && candidate.taskKind === taskKind);
      return fit ? [{ run, fit }] : [];
    });
    if (fitted.length === 0) return [];
    const scores = fitted.map(({ run, fit }) => posthocScores(run, fit, taskKind, oodSet));
    const share = fitted.length < members.length ? ` (fitted on ${fitted.length} of ${members.length} runs)` : '';
    return [
      {
        key: `${base.key}+${method.id}`,
        label: base.label,
        method: `${base.method} + ${method.label.charAt(0).toLowerCase()}${method.label.slice(1)}${share}`,
        runIds: fitted.map(({ run }) => run.id),
        cells: Object.fromEntries(columns.map((column) => [column.key, cellOf(scores.map((s) => s[column.key]))])),
        posthoc: { method: method.id, runsWithFit: fitted.length, runsInGroup: members.length },
      },
    ];
  });
}

function cellOf(scores: readonly RunScore[]): MethodsCell {
  const values = scores.filter((score): score is number => typeof score === 'number' && Number.isFinite(score));
  const notApplicable = scores.find(
    (score): score is { notApplicable: string } => typeof score === 'object' && score !== null,
  );
  if (values.length === 0)
    return { mean: null, std: 0, count: 0, ...(notApplicable ? { notApplicable: notApplicable.notApplicable } : {}) };
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance =
    values.length > 1 ? values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance), count: values.length };
}

/** The method as a row names it: its label, with the ensemble's size. */
export function methodLabel(run: ComparisonRun): string {
  const config = run.config as { method?: MethodId; members?: number };
  const method = methods[config.method ?? 'vi'];
  return method.id === 'ensemble' && config.members ? `${method.label} (M = ${config.members})` : method.label;
}

/**
 * The keys of the rows with the best mean of `column` (none when no row has a value); post-hoc rows
 * take part except in the columns they copy from their base runs.
 */
export function bestRows(rows: readonly MethodsRow[], column: MethodsColumn): string[] {
  const competing = column.fromBaseRun ? rows.filter((row) => !row.posthoc) : rows;
  const means = competing.flatMap((row) => {
    const mean = row.cells[column.key]?.mean;
    return mean === null || mean === undefined ? [] : [{ key: row.key, mean }];
  });
  if (means.length < 2) return [];
  const best =
    column.better === 'higher' ? Math.max(...means.map((m) => m.mean)) : Math.min(...means.map((m) => m.mean));
  return means.filter((m) => m.mean === best).map((m) => m.key);
}

/** One table per task kind among the runs (classification first), rows in the order of their first run. */
export function methodsTables(runs: readonly MethodsTableRun[], options: MethodsTableOptions = {}): MethodsTable[] {
  const kinds: TaskKind[] = ['classification', 'regression'];
  return kinds.flatMap((taskKind) => {
    const ofKind = runs.filter((run) => descriptorOf(run.config).task.kind === taskKind);
    if (ofKind.length === 0) return [];
    const oodSet = taskKind === 'classification' ? chooseOodSet(ofKind, options.oodSet) : null;
    const columns = taskKind === 'classification' ? classificationColumns() : regressionColumns();
    const byId = new Map(ofKind.map((run) => [run.id, run]));
    // Each run / seed group row, followed by a row per post-hoc method fitted to its runs.
    const rows: MethodsRow[] = seedGroups(ofKind, options.grouping ?? 'none').flatMap((group) => {
      const members = group.runs.map((run) => byId.get(run.id)!);
      const scores = members.map((run) => runScores(run, taskKind, oodSet));
      const row: MethodsRow = {
        key: group.key,
        label: group.label,
        method: [...new Set(members.map(methodLabel))].join(' / '),
        runIds: members.map((run) => run.id),
        cells: Object.fromEntries(columns.map((column) => [column.key, cellOf(scores.map((s) => s[column.key]))])),
      };
      return [row, ...posthocRows(row, members, taskKind, oodSet, columns)];
    });
    const best = Object.fromEntries(columns.map((column) => [column.key, bestRows(rows, column)]));
    return [{ taskKind, columns, rows, best, oodSet }];
  });
}

/** Rows sorted by one column's mean, best first by default; rows without a value go last. */
export function sortMethodsRows(
  table: MethodsTable,
  columnKey: string,
  order: 'best' | 'worst' = 'best',
): MethodsRow[] {
  const column = table.columns.find((candidate) => candidate.key === columnKey);
  if (!column) return [...table.rows];
  const sign = (column.better === 'higher' ? -1 : 1) * (order === 'best' ? 1 : -1);
  return [...table.rows].sort((a, b) => {
    const x = a.cells[columnKey]?.mean ?? null;
    const y = b.cells[columnKey]?.mean ?? null;
    if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
    return sign * (x - y);
  });
}

/** A cell as text: "mean ± std" (± only over several runs), "n/a" where not applicable, "—" where missing. */
export function formatMethodsCell(cell: MethodsCell | undefined, column: MethodsColumn): string {
  if (!cell || cell.mean === null) return cell?.notApplicable ? 'n/a' : '—';
  return cell.count > 1 ? `${column.format(cell.mean)} ± ${column.format(cell.std)}` : column.format(cell.mean);
}

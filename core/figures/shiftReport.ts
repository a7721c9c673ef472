/**
 * The dataset-shift part of run and comparison reports, from stored shift evaluations
 * (`runs/<id>/shift.json`): the shift table at the levels, the score-vs-shift curves and
 * the paper's figure 3 (./shiftFigures).
 */
import type { ShiftEvaluation, ShiftKindName } from '../contract/shift';
import { figureCaption } from './caption';
import { comparisonCaption } from './comparison';
import { seedGroups, type ComparisonRun } from './comparisonData';
import { formatMetric, formatPercent } from './format';
import { tableFigure, type TextTable } from './reportTables';
import type { FigureRow } from './runFigures';
import { describePasses, isMethodId } from '../methods/index';
import { methodLabel } from './methodsTable';
import { referenceCurvesFor } from '../shift/referenceCurves';
import { confidenceFigure, shiftCurveFigure, type ShiftMetric, type ShiftSeries } from './shiftFigures';
import type { CanvasFigureSpec, FigureRun } from './types';

/** The levels the table quotes: 0°, 30°, 60°, 90°, 180° and rolls of 2, 6, 14 px. */
const TABLE_LEVELS: { kind: ShiftKindName; level: number; label: string }[] = [
  ...[0, 30, 60, 90, 180].map((level) => ({ kind: 'rotation' as const, level, label: `rotation ${level}°` })),
  ...[2, 6, 14].map((level) => ({ kind: 'roll' as const, level, label: `roll ${level} px` })),
  ...[6, 14].map((level) => ({ kind: 'translation' as const, level, label: `padded ${level} px` })),
];

/** `method`: the run's, which says what the predictive averaged (`T = 50 draws`, `M = 5 members`). */
export function shiftTable(evaluation: ShiftEvaluation, method?: string): TextTable {
  const rows = TABLE_LEVELS.flatMap(({ kind, level, label }) => {
    const scores = evaluation.levels[kind].find((row) => row.level === level);
    return scores
      ? [
          [
            label,
            formatPercent(scores.accuracy),
            formatMetric(scores.nll),
            formatMetric(scores.brier),
            formatMetric(scores.ece),
            formatMetric(scores.meanEntropy),
            scores.meanMutualInformation === null ? '—' : formatMetric(scores.meanMutualInformation),
          ],
        ]
      : [];
  });
  const oodRows = evaluation.ood.map((set) => [
    `OOD: ${set.name}`,
    `AUROC entropy ${formatMetric(set.auroc.predictiveEntropy)}`,
    `max p ${formatMetric(set.auroc.maxProbability)}`,
    set.auroc.mutualInformation === null ? 'MI —' : `MI ${formatMetric(set.auroc.mutualInformation)}`,
    '',
    '',
    '',
  ]);
  return {
    heading: `Dataset shift (${describePasses(method, evaluation.draws)}, ${evaluation.imagesPerSet} held-out images per level)`,
    columns: ['shift', 'accuracy', 'NLL', 'Brier', 'ECE', 'entropy', 'MI'],
    columnShares: [0.25, 0.17, 0.13, 0.12, 0.11, 0.11, 0.11],
    rows: [...rows, ...oodRows],
  };
}

export function shiftTableFigure(evaluation: ShiftEvaluation, run: FigureRun): CanvasFigureSpec {
  return tableFigure(
    'shift-table',
    `Dataset shift at checkpoint step ${evaluation.checkpointStep} (Ovadia et al. 2019 protocol)`,
    figureCaption(run),
    shiftTable(evaluation, run.config.method),
  );
}

/**
 * The series of compared runs with a shift evaluation, one per seed group; when the runs differ in
 * method, each label says its method (runs named alike, e.g. "lenet5 · quick · seed 0", would
 * otherwise be told apart by colour only).
 */
export function shiftSeriesOf(
  runs: readonly ComparisonRun[],
  evaluations: ReadonlyMap<string, ShiftEvaluation>,
  grouping: Parameters<typeof seedGroups>[1],
): ShiftSeries[] {
  const methodOf = (run: ComparisonRun) => String((run.config as { method?: unknown }).method ?? 'vi');
  const severalMethods = new Set(runs.map(methodOf)).size > 1;
  const groups = seedGroups(runs, grouping).map((group) => {
    const method = methodOf(group.runs[0]);
    return {
      colourIndex: group.colourIndex,
      name: group.runs.length === 1 ? group.runs[0].name : group.label,
      method: isMethodId(method) ? methodLabel(group.runs[0]) : method,
      evaluations: group.runs.map((run) => evaluations.get(run.id)!),
    };
  });
  // Runs named alike ("lenet5 · quick · seed 0" four times) are told apart by their method alone,
  // when that tells every line apart; the name repeated in every legend entry only hid it.
  const sameNames = new Set(groups.map((group) => group.name)).size === 1;
  const methodsDistinct = new Set(groups.map((group) => group.method)).size === groups.length;
  return groups.map(({ name, method, evaluations: list, colourIndex }) => ({
    label: !severalMethods ? name : sameNames && methodsDistinct ? method : `${name} — ${method}`,
    evaluations: list,
    colourIndex,
  }));
}

export interface ShiftFigureOptions {
  /** Draw the published reference lines (core/shift/referenceCurves.ts) of the runs' dataset. */
  references?: boolean;
}

/**
 * A shift curve of `series`, with the published references of their dataset when asked for (the
 * dataset of the first evaluation: compared runs of another dataset get none rather than wrong ones).
 */
export function shiftCurve(
  series: readonly ShiftSeries[],
  kind: ShiftKindName,
  metric: ShiftMetric,
  caption: string,
  options: ShiftFigureOptions = {},
) {
  const datasets = new Set(series.flatMap((line) => line.evaluations.map((evaluation) => evaluation.dataset)));
  const references =
    options.references && datasets.size === 1 ? referenceCurvesFor([...datasets][0], kind, metric) : [];
  return shiftCurveFigure(series, kind, metric, caption, references);
}

/** Rows to append to a run's report for its shift evaluation. */
export function shiftReportRows(
  evaluation: ShiftEvaluation,
  run: FigureRun,
  options: ShiftFigureOptions = {},
): FigureRow[] {
  const caption = figureCaption(run);
  const series: ShiftSeries[] = [{ label: run.name, evaluations: [evaluation] }];
  const curve = (kind: ShiftKindName, metric: ShiftMetric) => shiftCurve(series, kind, metric, caption, options);
  return [
    [shiftTableFigure(evaluation, run)],
    [curve('rotation', 'accuracy'), curve('rotation', 'ece')],
    [curve('roll', 'accuracy'), curve('roll', 'ece')],
    [curve('rotation', 'meanEntropy'), curve('roll', 'meanEntropy')],
    [
      confidenceFigure(evaluation, 'accuracy', caption, run.config.method),
      confidenceFigure(evaluation, 'count', caption, run.config.method),
    ],
    [confidenceFigure(evaluation, 'histogram', caption, run.config.method)],
  ];
}

/**
 * Shift curves of compared runs: one series per seed group (runs alike but for the seed, a
 * mean ± std band) among the runs that have a shift evaluation; none when fewer than one has.
 */
export function shiftComparisonRows(
  runs: readonly ComparisonRun[],
  evaluations: ReadonlyMap<string, ShiftEvaluation>,
  options: ShiftFigureOptions = {},
): FigureRow[] {
  const evaluated = runs.filter((run) => evaluations.has(run.id));
  if (evaluated.length === 0) return [];
  const series = shiftSeriesOf(evaluated, evaluations, 'config');
  const caption = comparisonCaption(evaluated);
  const metrics = ['accuracy', 'ece', 'nll', 'meanEntropy'] as const;
  const curve = (kind: ShiftKindName, metric: ShiftMetric) => shiftCurve(series, kind, metric, caption, options);
  return (['rotation', 'roll'] as const).flatMap((kind) => [
    [curve(kind, metrics[0]), curve(kind, metrics[1])],
    [curve(kind, metrics[2]), curve(kind, metrics[3])],
  ]);
}

/**
 * The report of a comparison as a layout (./reportLayout): a header naming the runs (with the
 * colours the figures give them), the settings that differ between them and a table of their
 * final metrics; then every metric the runs have overlaid by step (./comparison), two per row,
 * and the weight-posterior densities of each shared layer overlaid (μ beside σ).
 */
import { comparisonCaption, comparisonMetricFigure, posteriorOverlayFigure, sharedLayerNames } from './comparison';
import { availableMetrics, lastStep, metricValuesAt, type ComparisonRun, type SeedGrouping } from './comparisonData';
import {
  hasClassificationEvaluations,
  hasRiskCoverage,
  regressionMethodsFigures,
  reliabilityOverlayFigure,
  riskCoverageOverlayFigure,
} from './methodsFigures';
import { methodsTables } from './methodsTable';
import { methodsTableFigure } from './methodsTableOutputs';
import { configDifferences, formatConfigValue } from './configDiff';
import { formatMetric } from './format';
import { seriesColour } from './palette';
import type { TextTable } from './reportTables';
import { layoutReport, reportFooter, reportHeader, safeFileStem, type ReportLayout } from './reportLayout';
import type { FigureRow } from './runFigures';
import type { CanvasFigureSpec, FigureSpec } from './types';

export interface ComparisonReportOptions {
  generatedAt?: string;
  generator?: string;
  /** Rows appended after the comparison's own figures. */
  extraRows?: readonly FigureRow[];
  /** Rows of the methods table: one per seed group ('config': configurations equal but for the seed; the default). */
  grouping?: SeedGrouping;
}

function pairUp(specs: readonly FigureSpec[]): FigureRow[] {
  const rows: FigureRow[] = [];
  for (let i = 0; i < specs.length; i += 2) rows.push(i + 1 < specs.length ? [specs[i], specs[i + 1]] : [specs[i]]);
  return rows;
}

/**
 * The methods side by side: the methods table of each task kind, the regression runs' bands on
 * shared axes (two per row), and the reliability and risk–coverage curves overlaid.
 */
export function methodsFigureRows(runs: readonly ComparisonRun[], grouping: SeedGrouping = 'config'): FigureRow[] {
  const tables: FigureRow[] = methodsTables(runs, { grouping }).map((table) => [
    methodsTableFigure(table, comparisonCaption(runs)),
  ]);
  const overlays: FigureSpec[] = hasClassificationEvaluations(runs)
    ? [reliabilityOverlayFigure(runs), ...(hasRiskCoverage(runs) ? [riskCoverageOverlayFigure(runs)] : [])]
    : [];
  const bands = regressionMethodsFigures(runs);
  return [...tables, ...(bands.length > 1 ? pairUp(bands) : []), ...pairUp(overlays)];
}

/** The comparison's figures in order: the methods, metrics by step, then posterior overlays per shared layer. */
export function comparisonFigureRows(runs: readonly ComparisonRun[], grouping: SeedGrouping = 'config'): FigureRow[] {
  const metricFigures = availableMetrics(runs).map((metric) => comparisonMetricFigure(runs, metric.key));
  const posteriorRows: FigureRow[] = sharedLayerNames(runs).map((layer) => [
    posteriorOverlayFigure(runs, layer, 'mu', null),
    posteriorOverlayFigure(runs, layer, 'sigma', null),
  ]);
  return [...methodsFigureRows(runs, grouping), ...pairUp(metricFigures), ...posteriorRows];
}

/** Setting/value-per-run rows of the settings that differ (the seed included: it is a difference). */
export function configDiffTable(runs: readonly ComparisonRun[]): TextTable {
  const differences = configDifferences(runs.map((run) => run.config));
  return {
    heading: differences.length > 0 ? 'Settings that differ' : 'Settings that differ: none (identical configurations)',
    columns: ['setting', ...runs.map((run) => run.name)],
    columnColours: [null, ...runs.map((_, index) => seriesColour(index))],
    rows: differences.map((difference) => [difference.key, ...difference.values.map(formatConfigValue)]),
  };
}

/** Each metric's value at each run's end (raw: fractions as fractions, like the CSV). */
export function metricTable(runs: readonly ComparisonRun[]): TextTable {
  const metrics = availableMetrics(runs);
  const values = metricValuesAt(runs, lastStep(runs), metrics);
  return {
    heading: 'Final metrics (each run at its last step)',
    columns: ['metric', ...runs.map((run) => run.name)],
    columnColours: [null, ...runs.map((_, index) => seriesColour(index))],
    rows: metrics.map((metric) => [
      metric.label,
      ...values.map((row) => {
        const point = row.values[metric.key]?.atEnd;
        if (!point) return '—';
        const value = metric.plotScale === 100 ? `${(point.y * 100).toFixed(2)} %` : formatMetric(point.y);
        return `${value} (step ${point.x})`;
      }),
    ]),
  };
}

/** The comparison's header: what is compared, then the settings that differ and the final metrics, one table under the other. */
export function comparisonReportHeader(runs: readonly ComparisonRun[]): CanvasFigureSpec {
  const tables = [configDiffTable(runs), metricTable(runs)];
  const shares = (table: TextTable) => {
    const columns = table.columns?.length ?? 1;
    const first = Math.min(0.3, 1 / columns);
    return [first, ...Array.from({ length: columns - 1 }, () => (1 - first) / Math.max(columns - 1, 1))];
  };
  for (const table of tables) table.columnShares = shares(table);
  const experiments = [...new Set(runs.map((run) => run.config.experiment))].join(', ');
  return reportHeader({
    heading: `Comparison of ${runs.length} run${runs.length === 1 ? '' : 's'}`,
    title: `Comparison of ${runs.length} runs`,
    caption: comparisonCaption(runs),
    lines: [`${experiments} · ${comparisonCaption(runs)}`],
    tables: [[{ share: 1, tables }]],
  });
}

export function comparisonReportLayout(
  runs: readonly ComparisonRun[],
  options: ComparisonReportOptions = {},
): ReportLayout {
  const rows = [...comparisonFigureRows(runs, options.grouping), ...(options.extraRows ?? [])];
  const footer = reportFooter(options, `comparison of ${runs.map((run) => run.id).join(', ')}`);
  const stem =
    runs.length === 2
      ? `${safeFileStem(runs[0].name)}-vs-${safeFileStem(runs[1].name)}`
      : `comparison-of-${runs.length}-runs`;
  return layoutReport({
    id: 'comparison-report',
    header: comparisonReportHeader(runs),
    rows,
    footer,
    fileName: `${stem}-report.png`,
  });
}

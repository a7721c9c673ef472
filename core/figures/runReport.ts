/**
 * The report of one run as a layout (./reportLayout): a header with the run's name, dates, state,
 * backend, configuration and final metrics, then every figure that applies to its experiment in
 * the walkthrough's order (./runFigures), then its out-of-distribution evaluation if it has one
 * (./oodReport), then any extra figures a caller adds (figures not kept with the run).
 */
import type { OodEvaluation } from '../contract/ood';
import type { ShiftEvaluation } from '../contract/shift';
import type { RunState } from '../contract/runEvent';
import { descriptorOf } from '../experiments/registry';
import { describeSettings } from './caption';
import { flattenConfig, formatConfigValue, type ConfigValue } from './configDiff';
import { formatKlWeight, formatMetric, formatPercent } from './format';
import { lossPenaltyOf } from '../methods/index';
import { withLossPenalty, type MetricDefinition } from '../scoring/index';
import { readMetric } from './metricPoints';
import { oodReportRows } from './oodReport';
import { shiftReportRows } from './shiftReport';
import type { TextTable } from './reportTables';
import {
  formatReportDate,
  layoutReport,
  reportFooter,
  reportHeader,
  safeFileStem,
  type ReportLayout,
} from './reportLayout';
import type { RunData } from './runData';
import { runFigureRows, type FigureRow } from './runFigures';
import type { CanvasFigureSpec, FigureRun } from './types';

/** What a report says about a run besides its events: a RunRecord has all of it. */
export interface ReportRun extends FigureRun {
  id?: string;
  state?: RunState;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  step?: number;
  totalSteps?: number;
  backend?: { name: string; device?: string } | undefined;
  summary?: Record<string, string | number | boolean | null> | undefined;
}

export interface RunReportOptions {
  /** When the report was made (ISO); the footer says it. */
  generatedAt?: string;
  /** "Bayesian Workbench 0.1.0" or similar, for the footer. */
  generator?: string;
  /** The run's stored out-of-distribution evaluation (runs/<id>/ood.json): its table and histograms follow the run's figures. */
  ood?: OodEvaluation | null;
  /** The run's stored dataset-shift evaluation (runs/<id>/shift.json): its table, curves and figure 3 follow. */
  shift?: ShiftEvaluation | null;
  /** Draw the published reference lines (core/shift/referenceCurves.ts) on the shift curves. */
  shiftReferences?: boolean;
  /** Figures appended last, in rows (e.g. verdicts on dropped images). */
  extraRows?: readonly FigureRow[];
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

function describeConfigValue(run: ReportRun, key: string, value: ConfigValue): string {
  // Null means "the default", which for these settings depends on the experiment: say which.
  if (key === 'klWeight')
    return typeof value === 'number' ? formatKlWeight(value) : descriptorOf(run.config).klWeightDefault.configValue;
  if (key === 'evalImages' && value === null) return 'all (default)';
  return formatConfigValue(value);
}

/** The configuration as setting/value rows (nested settings dotted: "prior.scale"). */
export function configRows(run: ReportRun): string[][] {
  return Object.entries(flattenConfig(run.config))
    .filter(([key]) => key !== 'experiment')
    .map(([key, value]) => [key, describeConfigValue(run, key, value)]);
}

function formatMetricValue(metric: MetricDefinition, value: number): string {
  if (metric.format === 'percent') return formatPercent(value, metric.percentDigits ?? 1);
  if (metric.format === 'klWeight') return formatKlWeight(value);
  return formatMetric(value);
}

/**
 * The run's final figures of merit, from its events (what the figures show) and its summary:
 * the latest value of every metric of its experiment that has a report label.
 */
export function finalMetricRows(run: ReportRun, data: RunData): string[][] {
  const rows: string[][] = [];
  const method = (run.config as { method?: string }).method;
  const penalty = lossPenaltyOf([method]);
  for (const metric of withLossPenalty(descriptorOf(run.config).metrics, penalty)) {
    if (!metric.reportLabel) continue;
    const latest = readMetric(metric, data).at(-1);
    if (latest) rows.push([metric.reportLabel({ ...latest.context, method }), formatMetricValue(metric, latest.value)]);
  }
  const prior = data.posteriors.at(-1)?.prior ?? {};
  for (const [name, value] of Object.entries(prior)) rows.push([`learned prior ${name}`, formatMetric(value)]);
  if (typeof run.summary?.stepsPerSecond === 'number')
    rows.push(['training speed', `${formatMetric(run.summary.stepsPerSecond)} steps/s`]);
  if (run.startedAt && run.finishedAt) {
    const seconds = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) rows.push(['wall time', formatDuration(seconds)]);
  }
  return rows;
}

/** Splits rows into `parts` columns of (nearly) equal length. */
function splitRows(rows: string[][], parts: number): string[][][] {
  const perPart = Math.ceil(rows.length / parts);
  return Array.from({ length: parts }, (_, i) => rows.slice(i * perPart, (i + 1) * perPart));
}

/**
 * The run's header: name, facts, settings, then its configuration and final metrics — side by side
 * on a wide page (the configuration in two halves if they fit), stacked on a narrow one.
 */
export function runReportHeader(run: ReportRun, data: RunData): CanvasFigureSpec {
  const config = configRows(run);
  const [configLeft, configRight] = splitRows(config, 2);
  const metrics: TextTable = { heading: 'Final metrics', rows: finalMetricRows(run, data), columnShares: [0.66, 0.34] };
  const configuration: TextTable = { heading: 'Configuration', rows: config, columnShares: [0.5, 0.5] };
  const step = run.step ?? data.progress?.step ?? data.metrics.step.at(-1) ?? 0;
  const total = run.totalSteps ?? data.progress?.total;
  const state = run.state ?? data.status?.state;
  const backend = run.backend
    ? `backend ${run.backend.name}${run.backend.device ? ` (${run.backend.device})` : ''}`
    : 'backend —';
  const facts = [
    descriptorOf(run.config).shortTitle,
    `created ${formatReportDate(run.createdAt)}`,
    `${state ?? 'unknown state'} at step ${step}${total ? ` of ${total}` : ''}`,
    backend,
  ].join('  ·  ');
  return reportHeader({
    heading: run.name,
    title: run.name,
    caption: describeSettings(run.config),
    lines: [facts, describeSettings(run.config)],
    tables: [
      [
        { share: 0.3, tables: [{ ...configuration, rows: configLeft }] },
        { share: 0.3, tables: [{ heading: '\u00a0', rows: configRight, columnShares: [0.5, 0.5] }] },
        { share: 0.4, tables: [metrics] },
      ],
      [
        { share: 0.5, tables: [configuration] },
        { share: 0.5, tables: [metrics] },
      ],
      [{ share: 1, tables: [configuration, metrics] }],
    ],
  });
}

export function runReportLayout(run: ReportRun, data: RunData, options: RunReportOptions = {}): ReportLayout {
  const rows = [
    ...runFigureRows(data, run, { totalSteps: run.totalSteps }),
    ...(options.ood ? oodReportRows(options.ood, run) : []),
    ...(options.shift ? shiftReportRows(options.shift, run, { references: options.shiftReferences }) : []),
    ...(options.extraRows ?? []),
  ];
  const footer = reportFooter(options, `report of run ${run.id ?? run.name}`);
  return layoutReport({
    id: 'run-report',
    header: runReportHeader(run, data),
    rows,
    footer,
    fileName: `${safeFileStem(run.name)}-report.png`,
  });
}

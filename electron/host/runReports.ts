/**
 * Reports and CSV of stored runs, headless: a run folder (`run.json` + `events.ndjson`) is read
 * through the run store, its events folded into RunData, the report laid out by core
 * (core/figures/runReport, comparisonReport) and drawn by ./figureRenderer. The CLI's `report`
 * command and `train --report` are thin adapters over this module.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { oodEvaluationSchema, type OodEvaluation } from '../../core/contract/ood';
import { currentTimeline } from '../../core/contract/runTimeline';
import type { RunRecord } from '../../core/contract/workbenchApi';
import type { ComparisonRun } from '../../core/figures/comparisonData';
import { comparisonReportLayout } from '../../core/figures/comparisonReport';
import { runMetricsCsv } from '../../core/figures/metricsCsv';
import type { FigureRow } from '../../core/figures/runFigures';
import { runDataFromEvents, type RunData } from '../../core/figures/runData';
import { runReportLayout, type ReportRun } from '../../core/figures/runReport';
import { EXPORT_PIXEL_RATIO } from '../../core/figures/export';
import { renderReportPng } from './figureRenderer';
import { RunStore } from './runStore';

export interface LoadedRun {
  record: RunRecord;
  data: RunData;
  /** Lines of events.ndjson that were not valid events (left out of the report). */
  skippedLines: number;
  /** The run's out-of-distribution evaluation (ood.json), if it has a valid one. */
  ood: OodEvaluation | null;
  /** Why ood.json was left out, when it exists but is not valid. */
  oodProblem?: string;
}

async function readOodEvaluation(runDir: string): Promise<{ ood: OodEvaluation | null; oodProblem?: string }> {
  let text: string;
  try {
    text = await fs.readFile(path.join(runDir, 'ood.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ood: null };
    throw error;
  }
  try {
    const parsed = oodEvaluationSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { ood: parsed.data };
    return {
      ood: null,
      oodProblem: `ood.json is not a valid OOD evaluation (${parsed.error.issues[0]?.message}); the report leaves it out.`,
    };
  } catch (error) {
    return {
      ood: null,
      oodProblem: `ood.json is not valid JSON (${(error as Error).message}); the report leaves it out.`,
    };
  }
}

/** Reads `runDir` (a folder holding run.json and events.ndjson) and folds its current timeline. */
export async function loadRunFolder(runDir: string): Promise<LoadedRun> {
  const resolved = path.resolve(runDir);
  const store = new RunStore(path.dirname(resolved));
  const id = path.basename(resolved);
  try {
    const record = await store.readRecord(id);
    const stored = await store.readEvents(id);
    return {
      record,
      data: runDataFromEvents(currentTimeline(stored.events)),
      skippedLines: stored.skippedLines,
      ...(await readOodEvaluation(resolved)),
    };
  } finally {
    await store.close();
  }
}

export interface ReportOptions {
  /** Pixels per CSS pixel: 2 by default, 3 for print. */
  density?: number;
  /** When the report was made (default: now). */
  generatedAt?: string;
  /** Rows appended after the report's own figures (hook for OOD verdicts and evaluations). */
  extraRows?: readonly FigureRow[];
}

/** One run's report as PNG bytes (with its OOD evaluation when `ood` is given). */
export function composeRunReport(
  data: RunData,
  options: ReportOptions & { run: ReportRun; ood?: OodEvaluation | null },
): Promise<Buffer> {
  const layout = runReportLayout(options.run, data, {
    generatedAt: options.generatedAt ?? new Date().toISOString(),
    ood: options.ood,
    extraRows: options.extraRows,
  });
  return renderReportPng(layout, options.density ?? EXPORT_PIXEL_RATIO);
}

export function comparisonRunOf(loaded: LoadedRun): ComparisonRun {
  const { record, data } = loaded;
  return { id: record.id, name: record.name, config: record.config, tags: record.tags, backend: record.backend, data };
}

/** The report comparing several runs as PNG bytes. */
export function composeComparisonReport(runs: readonly ComparisonRun[], options: ReportOptions = {}): Promise<Buffer> {
  const layout = comparisonReportLayout(runs, {
    generatedAt: options.generatedAt ?? new Date().toISOString(),
    extraRows: options.extraRows,
  });
  return renderReportPng(layout, options.density ?? EXPORT_PIXEL_RATIO);
}

export { runMetricsCsv };

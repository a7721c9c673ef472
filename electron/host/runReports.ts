/**
 * Reports and CSV of stored runs, headless: a run folder (`run.json` + `events.ndjson`) is read
 * through the run store, its events folded into RunData, the report laid out by core
 * (core/figures/runReport, comparisonReport) and drawn by ./figureRenderer. The CLI's `report`
 * command and `train --report` are thin adapters over this module.
 */
import path from 'node:path';
import { oodEvaluationSchema, type OodEvaluation } from '../../core/contract/ood';
import type { PosthocFit } from '../../core/contract/posthoc';
import { shiftEvaluationSchema, type ShiftEvaluation } from '../../core/contract/shift';
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
import { PosthocService } from './posthocService';
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
  /** The run's dataset-shift evaluation (shift.json), if it has a valid one. */
  shift: ShiftEvaluation | null;
  shiftProblem?: string;
  /** Post-hoc methods fitted to the run (posthoc-<method>.json), rows of the methods table. */
  posthoc: PosthocFit[];
  /** Why a stored post-hoc fit was left out (corrupt, too large, a link). */
  posthocProblems: string[];
}

/**
 * A stored evaluation file of the run (ood.json, shift.json), read through the run store (bounded,
 * never through a link): null when absent, a problem when unreadable or not valid.
 */
async function readEvaluationFile<T>(
  store: RunStore,
  id: string,
  file: string,
  schema: {
    safeParse(
      value: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } };
  },
  what: string,
): Promise<{ value: T | null; problem?: string }> {
  let bytes: Buffer | null;
  try {
    bytes = await store.readRunFile(id, file);
  } catch (error) {
    return { value: null, problem: `${(error as Error).message}; the report leaves it out.` };
  }
  if (!bytes) return { value: null };
  try {
    const parsed = schema.safeParse(JSON.parse(bytes.toString('utf8')));
    if (parsed.success) return { value: parsed.data };
    return {
      value: null,
      problem: `${file} is not a valid ${what} (${parsed.error.issues[0]?.message}); the report leaves it out.`,
    };
  } catch (error) {
    return {
      value: null,
      problem: `${file} is not valid JSON (${(error as Error).message}); the report leaves it out.`,
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
    const ood = await readEvaluationFile(store, id, 'ood.json', oodEvaluationSchema, 'OOD evaluation');
    const shift = await readEvaluationFile(store, id, 'shift.json', shiftEvaluationSchema, 'shift evaluation');
    const posthoc = await new PosthocService({ store }).getPosthocFits(id);
    return {
      record,
      data: runDataFromEvents(currentTimeline(stored.events)),
      skippedLines: stored.skippedLines,
      ood: ood.value,
      ...(ood.problem ? { oodProblem: ood.problem } : {}),
      shift: shift.value,
      ...(shift.problem ? { shiftProblem: shift.problem } : {}),
      posthoc: posthoc.fits,
      posthocProblems: posthoc.problems,
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

/** The shift evaluations of loaded runs, by run id (for the comparison's shift curves). */
export function shiftEvaluationsOf(loaded: readonly LoadedRun[]): Map<string, ShiftEvaluation> {
  return new Map(loaded.flatMap((run) => (run.shift ? [[run.record.id, run.shift] as const] : [])));
}

export function comparisonRunOf(loaded: LoadedRun): ComparisonRun {
  const { record, data } = loaded;
  return {
    id: record.id,
    name: record.name,
    config: record.config,
    tags: record.tags,
    backend: record.backend,
    data,
    summary: record.summary,
    ood: loaded.ood,
    posthoc: loaded.posthoc,
  };
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

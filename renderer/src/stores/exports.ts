/**
 * Exports: the pixel density of PNGs (2× by default, 3× for print; remembered in localStorage),
 * the report being rendered (its progress drives the indicator; one at a time) and the last
 * result or error. Views say which report "Export report" means where they are (the run view its
 * run's report, the compare view its comparison) with `useReportSource`; the Electron menu's
 * Export report uses that.
 */
import { defineStore, storeToRefs } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import { EXPORT_DENSITIES, type ExportDensity } from '../../../core/figures/export';
import { classifiesImages } from '../../../core/experiments/registry';
import { runMetricsCsv } from '../../../core/figures/metricsCsv';
import type { ReportLayout } from '../../../core/figures/reportLayout';
import type { RunData } from '../../../core/figures/runData';
import { runReportLayout } from '../../../core/figures/runReport';
import type { FigureSpec } from '../../../core/figures/types';
import { getWorkbenchApi } from '../api';
import { exportFigurePng } from '../util/exportFigure';
import { renderReportPng } from '../util/reportRenderer';
import { safeFileName, saveBytes } from '../util/saveBytes';
import { useLiveStore } from './live';
import { useRunsStore } from './runs';

const densityKey = 'workbench.exportDensity';

function storedDensity(): ExportDensity {
  try {
    const value = Number(window.localStorage.getItem(densityKey));
    return (EXPORT_DENSITIES as readonly number[]).includes(value) ? (value as ExportDensity) : 2;
  } catch {
    return 2;
  }
}

function messageOf(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
}

/** Lays out the report of a view; may fetch what it needs first (a run's OOD evaluation). */
export type ReportSource = () => ReportLayout | null | Promise<ReportLayout | null>;

export interface ReportRendering {
  label: string;
  done: number;
  total: number;
}

export const useExportsStore = defineStore('exports', () => {
  const api = getWorkbenchApi();
  const runs = useRunsStore();
  const live = storeToRefs(useLiveStore());

  const density = ref<ExportDensity>(storedDensity());
  watch(density, (value) => {
    try {
      window.localStorage.setItem(densityKey, String(value));
    } catch {
      // private mode: the choice lasts for this page only
    }
  });
  const rendering = ref<ReportRendering | null>(null);
  const lastSaved = ref<string | null>(null);
  const error = ref<string | null>(null);
  /** What "Export report" means in the view on screen (set by useReportSource). */
  const reportSource = shallowRef<ReportSource | null>(null);

  function done(savedAs: string | null): void {
    lastSaved.value = savedAs;
    error.value = null;
  }

  /**
   * Lays out the report (a source may fetch first), renders it panel by panel (the UI stays
   * responsive) and saves it as `layout.fileName`. One report at a time.
   */
  async function exportReport(source: ReportLayout | ReportSource): Promise<void> {
    if (rendering.value) return;
    rendering.value = { label: 'report', done: 0, total: 1 };
    error.value = null;
    try {
      const layout = typeof source === 'function' ? await source() : source;
      if (!layout) return;
      rendering.value = { label: layout.fileName, done: 0, total: layout.panels.length + 1 };
      const bytes = await renderReportPng(layout, density.value, (progress) => (rendering.value = { label: layout.fileName, ...progress }));
      done(await saveBytes(layout.fileName, bytes, 'image/png'));
    } catch (caught) {
      error.value = `The report could not be exported: ${messageOf(caught)}`;
    } finally {
      rendering.value = null;
    }
  }

  /** The selected run's events as the figures fold them. */
  function selectedRunData(): RunData {
    return {
      metrics: live.series.value,
      evaluations: live.evaluations.value,
      posteriors: live.posteriors.value,
      regression: live.regression.value,
      regressionSnapshots: live.regressionSnapshots.value,
      progress: live.progress.value,
      status: live.status.value,
    };
  }

  /** The selected run's report, with its stored OOD evaluation when it has one. */
  async function selectedRunReport(): Promise<ReportLayout | null> {
    const run = runs.selectedRun;
    if (!run) return null;
    const data = selectedRunData();
    // Only image classifiers have an OOD evaluation; a host without one (or an older host) answers null or fails: report without it.
    const ood = classifiesImages(run.config) ? await api.getOodEvaluation(run.id).catch(() => null) : null;
    return runReportLayout(run, data, { generatedAt: new Date().toISOString(), ood });
  }

  /** The report of the view on screen (the Electron menu's Export report). */
  async function exportCurrentReport(): Promise<void> {
    await exportReport(reportSource.value ?? selectedRunReport);
  }

  /** Saves CSV text as `fileName` the way PNGs are saved (the save dialog in Electron, a download in the browser). */
  async function exportCsv(fileName: string, csv: string): Promise<void> {
    try {
      done(await saveBytes(fileName, new TextEncoder().encode(csv), 'text/csv'));
    } catch (caught) {
      error.value = `The metrics could not be exported: ${messageOf(caught)}`;
    }
  }

  async function exportSelectedRunCsv(): Promise<void> {
    const run = runs.selectedRun;
    if (run) await exportCsv(`${safeFileName(run.name)}-metrics.csv`, runMetricsCsv(selectedRunData(), run.config));
  }

  /** A panel's "PNG" button (provided to the Base figure components by App.vue). */
  async function exportFigure(spec: FigureSpec, name: string): Promise<void> {
    try {
      done(await exportFigurePng(spec, name, density.value));
    } catch (caught) {
      error.value = `The figure could not be exported: ${messageOf(caught)}`;
    }
  }

  return {
    density,
    rendering,
    lastSaved,
    error,
    reportSource,
    exportReport,
    exportCurrentReport,
    exportCsv,
    exportSelectedRunCsv,
    exportFigure,
    selectedRunReport,
  };
});

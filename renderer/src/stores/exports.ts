/**
 * Exports: the pixel density of PNGs (2× by default, 3× for print), the size (screen, column,
 * page, slide) and the report's format (PNG, SVG, PDF), each remembered in localStorage; the
 * report being rendered (its progress drives the indicator; one at a time) and the last
 * result or error. Views say which report "Export report" means where they are (the run view its
 * run's report, the compare view its comparison) with `useReportSource`; the Electron menu's
 * Export report uses that.
 */
import { defineStore, storeToRefs } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import { EXPORT_DENSITIES, type ExportDensity } from '../../../core/figures/export';
import { classifiesImages } from '../../../core/experiments/registry';
import { figureCsv } from '../../../core/figures/figureData';
import { FIGURE_SIZES, isFigureSizeName, type FigureSizeName } from '../../../core/figures/figureSizes';
import { runMetricsCsv } from '../../../core/figures/metricsCsv';
import type { ReportLayout } from '../../../core/figures/reportLayout';
import type { RunData } from '../../../core/figures/runData';
import { runReportLayout } from '../../../core/figures/runReport';
import type { FigureSpec } from '../../../core/figures/types';
import { getWorkbenchApi } from '../api';
import { messageOf } from '../api/errorMessage';
import {
  copyFigurePng,
  FIGURE_FORMATS,
  figureFileName,
  MIME_TYPES,
  renderFigureFile,
  type FigureFormat,
} from '../util/exportFigure';
import { renderReportFile } from '../util/reportRenderer';
import { safeFileName, saveBytes } from '../util/saveBytes';
import { useLiveStore } from './live';
import { useRunsStore } from './runs';
import { useShiftStore } from './shift';

const densityKey = 'workbench.exportDensity';
const sizeKey = 'workbench.exportSize';
const formatKey = 'workbench.reportFormat';

function stored(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function remember(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // private mode: the choice lasts for this page only
  }
}

function storedDensity(): ExportDensity {
  const value = Number(stored(densityKey));
  return (EXPORT_DENSITIES as readonly number[]).includes(value) ? (value as ExportDensity) : 2;
}

function storedSize(): FigureSizeName {
  const value = stored(sizeKey) ?? '';
  return isFigureSizeName(value) ? value : 'screen';
}

function storedFormat(): FigureFormat {
  const value = stored(formatKey) ?? '';
  return (FIGURE_FORMATS as readonly string[]).includes(value) ? (value as FigureFormat) : 'png';
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
  watch(density, (value) => remember(densityKey, String(value)));
  /** The size of every export: panels and reports. */
  const size = ref<FigureSizeName>(storedSize());
  watch(size, (value) => remember(sizeKey, value));
  /** The format "Export report" writes. */
  const reportFormat = ref<FigureFormat>(storedFormat());
  watch(reportFormat, (value) => remember(formatKey, value));
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
   * Lays out the report (a source may fetch first), renders it at the chosen size and format (a
   * PNG panel by panel, so the UI stays responsive) and saves it as `layout.fileName` with the
   * format's extension. One report at a time.
   */
  async function exportReport(
    source: ReportLayout | ReportSource,
    format: FigureFormat = reportFormat.value,
  ): Promise<void> {
    if (rendering.value) return;
    rendering.value = { label: 'report', done: 0, total: 1 };
    error.value = null;
    try {
      const layout = typeof source === 'function' ? await source() : source;
      if (!layout) return;
      const chosenSize = FIGURE_SIZES[size.value];
      const fileName = layout.fileName.replace(
        /\.png$/,
        `${chosenSize.name === 'screen' ? '' : `-${chosenSize.name}`}.${format}`,
      );
      rendering.value = { label: fileName, done: 0, total: layout.panels.length + 1 };
      const bytes = await renderReportFile(
        layout,
        format,
        chosenSize,
        density.value,
        (progress) => (rendering.value = { label: fileName, ...progress }),
      );
      done(await saveBytes(fileName, bytes, MIME_TYPES[format]));
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

  /** The selected run's report, with its stored OOD and shift evaluations when it has them. */
  async function selectedRunReport(): Promise<ReportLayout | null> {
    const run = runs.selectedRun;
    if (!run) return null;
    const data = selectedRunData();
    // Only image classifiers have an OOD evaluation; a host without one (or an older host) answers null or fails: report without it.
    const ood = classifiesImages(run.config) ? await api.getOodEvaluation(run.id).catch(() => null) : null;
    const shift = classifiesImages(run.config) ? await api.getShiftEvaluation(run.id).catch(() => null) : null;
    return runReportLayout(run, data, {
      generatedAt: new Date().toISOString(),
      ood,
      shift,
      shiftReferences: useShiftStore().showReferences,
    });
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

  /** A panel's PNG, SVG and PDF buttons (provided to the Base figure components by App.vue). */
  async function exportFigure(spec: FigureSpec, name: string, format: FigureFormat = 'png'): Promise<void> {
    try {
      const chosenSize = FIGURE_SIZES[size.value];
      const bytes = await renderFigureFile(spec, format, chosenSize, density.value);
      done(await saveBytes(figureFileName(spec, name, format, chosenSize), bytes, MIME_TYPES[format]));
    } catch (caught) {
      error.value = `The figure could not be exported: ${messageOf(caught)}`;
    }
  }

  /** A panel's "Copy": its PNG on the clipboard. */
  async function copyFigure(spec: FigureSpec): Promise<void> {
    try {
      await copyFigurePng(spec, FIGURE_SIZES[size.value], density.value);
      done(`clipboard (${spec.id})`);
    } catch (caught) {
      error.value = `The figure could not be copied: ${messageOf(caught)}`;
    }
  }

  /** A panel's "CSV": the numbers the figure draws. */
  async function exportFigureCsv(spec: FigureSpec, name: string): Promise<void> {
    try {
      await exportCsv(`${safeFileName(name)}-${spec.id}.csv`, figureCsv(spec));
    } catch (caught) {
      error.value = `The figure's numbers could not be exported: ${messageOf(caught)}`;
    }
  }

  return {
    density,
    size,
    reportFormat,
    rendering,
    lastSaved,
    error,
    reportSource,
    exportReport,
    exportCurrentReport,
    exportCsv,
    exportSelectedRunCsv,
    exportFigure,
    copyFigure,
    exportFigureCsv,
    selectedRunReport,
  };
});

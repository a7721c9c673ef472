/**
 * Draws a report layout (core/figures/reportLayout) in the browser without freezing the UI: one
 * panel per task, each started from an idle callback (a timeout where there is none), so clicks
 * and the live stream keep being served between panels, with progress after each one. Chart.js
 * needs a DOM canvas per chart here (it draws on OffscreenCanvas only through its own worker
 * platform, and the figure specs carry functions a worker cannot receive), so chunking it is.
 */
import { drawReportPage, drawReportPanel, type ReportContext, type ReportLayout } from '../../../core/figures/reportLayout';
import { canvasToPng, FigureExportError, withChartCanvas } from './exportFigure';

export interface ReportProgress {
  done: number;
  total: number;
}

function nextIdle(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof window.requestIdleCallback === 'function') window.requestIdleCallback(() => resolve(), { timeout: 100 });
    else setTimeout(resolve, 0);
  });
}

export async function renderReportPng(layout: ReportLayout, density: number, onProgress: (progress: ReportProgress) => void = () => {}): Promise<Uint8Array> {
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(layout.width * density);
  canvas.height = Math.round(layout.height * density);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new FigureExportError(`This browser gave no 2D context for a ${canvas.width}×${canvas.height} report; try the 2× density.`);
  ctx.scale(density, density);
  const reportContext = ctx as unknown as ReportContext;
  drawReportPage(reportContext, layout);
  // Encoding the PNG counts as the last step.
  const total = layout.panels.length + 1;
  onProgress({ done: 0, total });
  for (const [index, panel] of layout.panels.entries()) {
    await nextIdle();
    const { spec, body } = panel;
    if (spec.kind === 'chart') withChartCanvas(spec, { ...body, density, heading: false }, (image) => drawReportPanel(reportContext, panel, image));
    else drawReportPanel(reportContext, panel);
    onProgress({ done: index + 1, total });
  }
  await nextIdle();
  const bytes = await canvasToPng(canvas);
  onProgress({ done: total, total });
  return bytes;
}

/**
 * Draws a report layout (core/figures/reportLayout) in the browser without freezing the UI: one
 * panel per task, each started from an idle callback (a timeout where there is none), so clicks
 * and the live stream keep being served between panels, with progress after each one. Chart.js
 * needs a DOM canvas per chart here (it draws on OffscreenCanvas only through its own worker
 * platform, and the figure specs carry functions a worker cannot receive), so chunking it is.
 */
import { pngDensity, PRINT_DPI, type FigureSize } from '../../../core/figures/figureSizes';
import { withPngResolution } from '../../../core/figures/pngResolution';
import {
  drawReportPage,
  drawReportPanel,
  layoutReportAt,
  type ReportContext,
  type ReportLayout,
} from '../../../core/figures/reportLayout';
import { canvasToPng, FigureExportError, withChartCanvas, type FigureFormat } from './exportFigure';

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

/** The report at `size` in `format`: PNG panel by panel at the density (300 dpi at print sizes), or SVG or PDF. */
export async function renderReportFile(
  layout: ReportLayout,
  format: FigureFormat,
  size: FigureSize,
  density: number,
  onProgress: (progress: ReportProgress) => void = () => {},
): Promise<Uint8Array> {
  const sized = layoutReportAt(layout, size);
  if (format === 'png') {
    const png = await renderReportPng(sized, pngDensity(size, sized.width, density), onProgress);
    // A print-size PNG says it is 300 dpi, so documents place it at its physical width.
    return size.widthInches === null ? png : withPngResolution(png, PRINT_DPI);
  }
  // A vector report is drawn in one go (no pixels to fill): the progress says when it is done.
  onProgress({ done: 0, total: 1 });
  await nextIdle();
  const vector = await import('./vectorExport');
  const bytes =
    format === 'svg'
      ? new TextEncoder().encode(await vector.renderReportSvg(sized, size))
      : await vector.renderReportPdf(sized, size);
  onProgress({ done: 1, total: 1 });
  return bytes;
}

export async function renderReportPng(
  layout: ReportLayout,
  density: number,
  onProgress: (progress: ReportProgress) => void = () => {},
): Promise<Uint8Array> {
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(layout.width * density);
  canvas.height = Math.round(layout.height * density);
  const ctx = canvas.getContext('2d');
  if (!ctx)
    throw new FigureExportError(
      `This browser gave no 2D context for a ${canvas.width}×${canvas.height} report; try the 2× density.`,
    );
  ctx.scale(density, density);
  const reportContext = ctx as unknown as ReportContext;
  drawReportPage(reportContext, layout);
  // Encoding the PNG counts as the last step.
  const total = layout.panels.length + 1;
  onProgress({ done: 0, total });
  for (const [index, panel] of layout.panels.entries()) {
    await nextIdle();
    const { spec, body } = panel;
    if (spec.kind === 'chart')
      withChartCanvas(spec, { ...body, density, heading: false }, (image) =>
        drawReportPanel(reportContext, panel, image),
      );
    else drawReportPanel(reportContext, panel);
    onProgress({ done: index + 1, total });
  }
  await nextIdle();
  const bytes = await canvasToPng(canvas);
  onProgress({ done: total, total });
  return bytes;
}

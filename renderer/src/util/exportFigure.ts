/**
 * Saves a figure as a PNG with its title and caption at the chosen density (2× by default; 300
 * dpi at print sizes), or as SVG or PDF (./vectorExport), drawn from the same spec as the screen (core/figures/export adds what the panel shows around
 * the screen version), not a screenshot.
 */
import {
  canvasExportSize,
  drawCanvasFigureForExport,
  EXPORT_PIXEL_RATIO,
  exportChartConfiguration,
  figureExportSize,
  sizedFigure,
} from '../../../core/figures/export';
import { pngDensity, PRINT_DPI, type FigureSize } from '../../../core/figures/figureSizes';
import { withPngResolution } from '../../../core/figures/pngResolution';
import type { ChartFigureSpec, FigureSpec } from '../../../core/figures/types';
import { Chart } from '../charts/registerCharts';
import { safeFileName, saveBytes } from './saveBytes';

export class FigureExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FigureExportError';
  }
}

/**
 * Draws a chart spec on a detached canvas at `width` × `height` CSS pixels and `density`, hands
 * the canvas to `use`, then destroys the chart (which clears the canvas, so `use` copies first).
 */
export function withChartCanvas<T>(
  spec: ChartFigureSpec,
  size: { width: number; height: number; density: number; heading: boolean },
  use: (canvas: HTMLCanvasElement) => T,
): T {
  const canvas = document.createElement('canvas');
  canvas.style.width = `${size.width}px`;
  canvas.style.height = `${size.height}px`;
  canvas.width = size.width;
  canvas.height = size.height;
  // Not responsive: Chart.js draws at once into the detached canvas at the export size.
  const chart = new Chart(
    canvas,
    exportChartConfiguration(
      { ...spec, width: size.width, height: size.height },
      { density: size.density, heading: size.heading },
    ),
  );
  try {
    return use(canvas);
  } finally {
    chart.destroy();
  }
}

export function canvasToPng(canvas: HTMLCanvasElement): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => {
      if (!blob)
        reject(
          new FigureExportError(
            `The browser could not encode a ${canvas.width}×${canvas.height} PNG; try the 2× density.`,
          ),
        );
      else blob.arrayBuffer().then((buffer) => resolve(new Uint8Array(buffer)), reject);
    }, 'image/png');
  });
}

export async function renderFigurePng(spec: FigureSpec, density: number = EXPORT_PIXEL_RATIO): Promise<Uint8Array> {
  if (spec.kind === 'chart') {
    // toBlob is asynchronous and the chart clears its canvas on destroy: copy the pixels first.
    const copy = withChartCanvas(spec, { width: spec.width, height: spec.height, density, heading: true }, (canvas) => {
      const target = document.createElement('canvas');
      target.width = canvas.width;
      target.height = canvas.height;
      target.getContext('2d')?.drawImage(canvas, 0, 0);
      return target;
    });
    return canvasToPng(copy);
  }
  const canvas = document.createElement('canvas');
  const { width, height } = canvasExportSize(spec);
  canvas.width = Math.round(width * density);
  canvas.height = Math.round(height * density);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new FigureExportError('This browser gave no 2D canvas context; the figure cannot be exported.');
  ctx.scale(density, density);
  drawCanvasFigureForExport(spec, ctx);
  return canvasToPng(canvas);
}

/** Saves `spec` as `<run name>-<figure id>.png` (save dialog in Electron, download in the browser). */
export async function exportFigurePng(
  spec: FigureSpec,
  runName: string,
  density: number = EXPORT_PIXEL_RATIO,
): Promise<string | null> {
  return saveBytes(`${safeFileName(runName)}-${spec.id}.png`, await renderFigurePng(spec, density), 'image/png');
}

export const FIGURE_FORMATS = ['png', 'svg', 'pdf'] as const;
export type FigureFormat = (typeof FIGURE_FORMATS)[number];
export const MIME_TYPES: Record<FigureFormat, string> = {
  png: 'image/png',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
};

/** A figure at `size` in `format`: PNG at the density (300 dpi at print sizes), SVG and PDF as vectors. */
export async function renderFigureFile(
  spec: FigureSpec,
  format: FigureFormat,
  size: FigureSize,
  density: number = EXPORT_PIXEL_RATIO,
): Promise<Uint8Array> {
  if (format === 'png') {
    // Every format is set in the figure font (DejaVu Sans), so a PNG and a PDF of one figure agree.
    await (await import('./vectorExport')).loadFigureFont();
    const sized = sizedFigure(spec, size);
    const png = await renderFigurePng(sized, pngDensity(size, figureExportSize(sized).width, density));
    return size.widthInches === null ? png : withPngResolution(png, PRINT_DPI);
  }
  // The vector code (and for PDFs, PDFKit) loads on the first vector export only.
  const vector = await import('./vectorExport');
  if (format === 'svg') return new TextEncoder().encode(await vector.renderFigureSvg(spec, size));
  return vector.renderFigurePdf(spec, size);
}

/** The file name of a figure export: `<run name>-<figure id>[-<size>].<format>`. */
export function figureFileName(spec: FigureSpec, runName: string, format: FigureFormat, size: FigureSize): string {
  return `${safeFileName(runName)}-${spec.id}${size.name === 'screen' ? '' : `-${size.name}`}.${format}`;
}

/**
 * Puts the figure's PNG on the clipboard (Electron, and browsers whose Clipboard API takes
 * images). The ClipboardItem gets a promise of the blob, so Safari-style engines keep the user's
 * click as the gesture while the PNG is drawn.
 */
export async function copyFigurePng(
  spec: FigureSpec,
  size: FigureSize,
  density: number = EXPORT_PIXEL_RATIO,
): Promise<void> {
  if (typeof ClipboardItem === 'undefined' || !navigator.clipboard?.write) {
    throw new FigureExportError(
      'This browser cannot put images on the clipboard (no Clipboard API with ClipboardItem); save the PNG instead.',
    );
  }
  const blob = renderFigureFile(spec, 'png', size, density).then(
    (bytes) => new Blob([bytes as BlobPart], { type: 'image/png' }),
  );
  await navigator.clipboard.write([new ClipboardItem({ 'image/png': blob })]);
}

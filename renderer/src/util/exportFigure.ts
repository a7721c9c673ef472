/**
 * Saves a figure as a PNG with its title and caption at the chosen density (2× by default),
 * drawn from the same spec as the screen (core/figures/export adds what the panel shows around
 * the screen version), not a screenshot.
 */
import { canvasExportSize, drawCanvasFigureForExport, EXPORT_PIXEL_RATIO, exportChartConfiguration } from '../../../core/figures/export';
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
export function withChartCanvas<T>(spec: ChartFigureSpec, size: { width: number; height: number; density: number; heading: boolean }, use: (canvas: HTMLCanvasElement) => T): T {
  const canvas = document.createElement('canvas');
  canvas.style.width = `${size.width}px`;
  canvas.style.height = `${size.height}px`;
  canvas.width = size.width;
  canvas.height = size.height;
  // Not responsive: Chart.js draws at once into the detached canvas at the export size.
  const chart = new Chart(canvas, exportChartConfiguration({ ...spec, width: size.width, height: size.height }, { density: size.density, heading: size.heading }));
  try {
    return use(canvas);
  } finally {
    chart.destroy();
  }
}

export function canvasToPng(canvas: HTMLCanvasElement): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => {
      if (!blob) reject(new FigureExportError(`The browser could not encode a ${canvas.width}×${canvas.height} PNG; try the 2× density.`));
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
export async function exportFigurePng(spec: FigureSpec, runName: string, density: number = EXPORT_PIXEL_RATIO): Promise<string | null> {
  return saveBytes(`${safeFileName(runName)}-${spec.id}.png`, await renderFigurePng(spec, density), 'image/png');
}

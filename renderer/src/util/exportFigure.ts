/**
 * Saves a figure as a PNG with its title and caption at 2× density, drawn from the same spec as
 * the screen (core/figures/export adds what the panel shows around the screen version).
 */
import { canvasExportSize, drawCanvasFigureForExport, EXPORT_PIXEL_RATIO, exportChartConfiguration } from '../../../core/figures/export';
import type { FigureSpec } from '../../../core/figures/types';
import { Chart } from '../charts/registerCharts';

function renderPng(spec: FigureSpec): string {
  const canvas = document.createElement('canvas');
  if (spec.kind === 'chart') {
    canvas.style.width = `${spec.width}px`;
    canvas.style.height = `${spec.height}px`;
    canvas.width = spec.width;
    canvas.height = spec.height;
    // Not responsive: Chart.js draws at once into the detached canvas at the export size.
    const chart = new Chart(canvas, exportChartConfiguration(spec));
    try {
      return chart.toBase64Image('image/png');
    } finally {
      chart.destroy();
    }
  }
  const { width, height } = canvasExportSize(spec);
  canvas.width = width * EXPORT_PIXEL_RATIO;
  canvas.height = height * EXPORT_PIXEL_RATIO;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser gave no 2D canvas context; the figure cannot be exported.');
  ctx.scale(EXPORT_PIXEL_RATIO, EXPORT_PIXEL_RATIO);
  drawCanvasFigureForExport(spec, ctx);
  return canvas.toDataURL('image/png');
}

function safeFileName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 120) || 'figure';
}

export function exportFigurePng(spec: FigureSpec, runName: string): void {
  const link = document.createElement('a');
  link.href = renderPng(spec);
  link.download = `${safeFileName(runName)}-${spec.id}.png`;
  link.click();
}

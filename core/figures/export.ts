/**
 * Figures as they are exported: with their title and caption on the image and at 2× pixel
 * density. The screen shows title and caption in the panel instead, so specs leave them out and
 * these functions add them.
 */
import type { ChartConfiguration } from 'chart.js';
import { palette } from './palette';
import type { Canvas2DContext, CanvasFigureSpec, ChartFigureSpec } from './types';

export const EXPORT_PIXEL_RATIO = 2;
const titleFont = "600 16px system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
const captionFont = "400 11px system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
/** Space above a canvas figure's body for the title and the caption. */
export const EXPORT_HEADER_HEIGHT = 46;
/** Margin around a canvas figure's body, so nothing touches the image's edge. */
const EXPORT_MARGIN = 12;

/** A Chart.js configuration for a fixed-size, non-responsive export with title, caption and a white background. */
export function exportChartConfiguration(spec: ChartFigureSpec): ChartConfiguration {
  const options = spec.chart.options ?? {};
  return {
    ...spec.chart,
    options: {
      ...options,
      responsive: false,
      animation: false,
      devicePixelRatio: EXPORT_PIXEL_RATIO,
      plugins: {
        ...options.plugins,
        title: { display: true, text: spec.title, color: palette.textStrong, font: { size: 16, weight: 600 }, padding: { top: 8, bottom: 2 } },
        subtitle: { display: true, text: spec.caption, color: palette.text, font: { size: 11 }, padding: { bottom: 8 } },
      },
    },
    // A transparent PNG looks broken in most viewers: paint the background first.
    plugins: [
      ...(spec.chart.plugins ?? []),
      {
        id: 'exportBackground',
        beforeDraw(chart) {
          const { ctx, width, height } = chart;
          ctx.save();
          ctx.fillStyle = palette.background;
          ctx.fillRect(0, 0, width, height);
          ctx.restore();
        },
      },
    ],
  } as ChartConfiguration;
}

/** Pixel size of a canvas figure's export (header included), before the 2× density. */
export function canvasExportSize(spec: CanvasFigureSpec): { width: number; height: number } {
  return { width: spec.width + 2 * EXPORT_MARGIN, height: spec.height + EXPORT_HEADER_HEIGHT + EXPORT_MARGIN };
}

/** Draws title, caption and body into a context already scaled to CSS pixels of `canvasExportSize(spec)`. */
export function drawCanvasFigureForExport(spec: CanvasFigureSpec, ctx: Canvas2DContext): void {
  const { width, height } = canvasExportSize(spec);
  ctx.fillStyle = palette.background;
  ctx.fillRect(0, 0, width, height);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillStyle = palette.textStrong;
  ctx.font = titleFont;
  ctx.fillText(spec.title, EXPORT_MARGIN, 8, width - 2 * EXPORT_MARGIN);
  ctx.fillStyle = palette.text;
  ctx.font = captionFont;
  ctx.fillText(spec.caption, EXPORT_MARGIN, 30, width - 2 * EXPORT_MARGIN);
  ctx.save();
  ctx.translate(EXPORT_MARGIN, EXPORT_HEADER_HEIGHT);
  spec.draw(ctx, spec.width, spec.height);
  ctx.restore();
}

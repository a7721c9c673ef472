/**
 * Figures as they are exported: with their title and caption on the image, on a white
 * background, at 2× pixel density by default (3× for print). The screen shows title and caption
 * in the panel instead, so specs leave them out and these functions add them. A report draws its
 * own title bands and asks for the bare chart (`heading: false`).
 */
import type { ChartConfiguration, Plugin } from 'chart.js';
import { FIGURE_FONT_FAMILY, figureFont } from './fonts';
import { palette } from './palette';
import type { Canvas2DContext, CanvasFigureSpec, ChartFigureSpec } from './types';

export const EXPORT_PIXEL_RATIO = 2;
/** The densities the export controls offer: 2× by default, 3× for print. */
export const EXPORT_DENSITIES = [2, 3] as const;
export type ExportDensity = (typeof EXPORT_DENSITIES)[number];
/** Space above a canvas figure's body for the title and the caption. */
export const EXPORT_HEADER_HEIGHT = 46;
/** Margin around a canvas figure's body, so nothing touches the image's edge. */
const EXPORT_MARGIN = 12;

export interface ChartExportOptions {
  /** Pixels per CSS pixel (default 2). */
  density?: number;
  /** Title and caption on the image (default true); a report draws its own. */
  heading?: boolean;
}

/** Paints the background before anything else: a transparent PNG looks broken in most viewers. */
export const whiteBackgroundPlugin: Plugin = {
  id: 'exportBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = palette.background;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/**
 * The caption as lines that fit `width` CSS pixels at 11 px, broken between its " · " parts (a
 * LeNet5 caption is wider than a 900-pixel chart; Chart.js would cut it at both edges).
 */
export function captionLines(caption: string, width: number): string[] {
  // DejaVu Sans, the widest of the figure fonts, averages about 6.6 px per character at 11 px.
  const maxChars = Math.max(20, Math.floor((width - 24) / 6.6));
  const lines: string[] = [];
  let line = '';
  for (const part of caption.split(' · ')) {
    const candidate = line ? `${line} · ${part}` : part;
    if (line && candidate.length > maxChars) {
      lines.push(`${line} ·`);
      line = part;
    } else line = candidate;
  }
  if (line) lines.push(line);
  return lines;
}

/** A Chart.js configuration for a fixed-size, non-responsive export with title, caption and a white background. */
export function exportChartConfiguration(spec: ChartFigureSpec, options: ChartExportOptions = {}): ChartConfiguration {
  const chartOptions = spec.chart.options ?? {};
  const heading = options.heading ?? true;
  return {
    ...spec.chart,
    options: {
      ...chartOptions,
      responsive: false,
      animation: false,
      devicePixelRatio: options.density ?? EXPORT_PIXEL_RATIO,
      plugins: {
        ...chartOptions.plugins,
        title: { display: heading, text: spec.title, color: palette.textStrong, font: { family: FIGURE_FONT_FAMILY, size: 16, weight: 600 }, padding: { top: 8, bottom: 2 } },
        subtitle: { display: heading, text: captionLines(spec.caption, spec.width), color: palette.text, font: { family: FIGURE_FONT_FAMILY, size: 11 }, padding: { bottom: 8 } },
      },
    },
    plugins: [...(spec.chart.plugins ?? []), whiteBackgroundPlugin],
  } as ChartConfiguration;
}

/** Pixel size of a canvas figure's export (header included), before the density. */
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
  ctx.font = figureFont(16, 600);
  ctx.fillText(spec.title, EXPORT_MARGIN, 8, width - 2 * EXPORT_MARGIN);
  ctx.fillStyle = palette.text;
  ctx.font = figureFont(11);
  ctx.fillText(spec.caption, EXPORT_MARGIN, 30, width - 2 * EXPORT_MARGIN);
  ctx.save();
  ctx.translate(EXPORT_MARGIN, EXPORT_HEADER_HEIGHT);
  spec.draw(ctx, spec.width, spec.height);
  ctx.restore();
}

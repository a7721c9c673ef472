/**
 * Figures as they are exported: with their title and caption on the image, on a white
 * background, at 2× pixel density by default (3× for print). The screen shows title and caption
 * in the panel instead, so specs leave them out and these functions add them. A report draws its
 * own title bands and asks for the bare chart (`heading: false`).
 */
import type { ChartConfiguration, Plugin } from 'chart.js';
import { FIGURE_FONT_FAMILY, figureFont } from './fonts';
import { palette } from './palette';
import type { FigureSize } from './figureSizes';
import type { Canvas2DContext, CanvasFigureSpec, ChartFigureSpec, FigureSpec } from './types';

export const EXPORT_PIXEL_RATIO = 2;
/** The densities the export controls offer: 2× by default, 3× for print. */
export const EXPORT_DENSITIES = [2, 3] as const;
export type ExportDensity = (typeof EXPORT_DENSITIES)[number];
/** Space above a canvas figure's body for the title and a one-line caption. */
export const EXPORT_HEADER_HEIGHT = 46;
/** Each further caption line (a narrow export wraps the caption rather than squeezing it). */
const CAPTION_LINE_HEIGHT = 14;
/** Margin around a canvas figure's body, so nothing touches the image's edge. */
export const EXPORT_MARGIN = 12;

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

/** Splits `text` at spaces into the fewest balanced lines of at most `maxChars` characters (never a word apart). */
export function wrapWords(text: string, maxChars: number): string[] {
  const words = text.split(' ');
  for (let count = 1; count <= words.length; count += 1) {
    const target = Math.ceil(text.length / count);
    const lines: string[] = [];
    let line = '';
    for (const word of words) {
      const candidate = line ? `${line} ${word}` : word;
      if (line && candidate.length > Math.max(target, maxChars)) {
        lines.push(line);
        line = word;
      } else line = candidate;
    }
    lines.push(line);
    if (lines.length <= count && lines.every((candidate) => candidate.length <= maxChars)) return lines;
  }
  return words;
}

interface ScaleLike {
  axis?: string;
  position?: string;
  title?: { display?: boolean; text?: string | string[] };
}

/**
 * Axis titles longer than their axis, as lines: Chart.js writes a title on one line and lets it
 * run past the chart's edge, which a narrow (single-column) export would cut. The axis's length
 * is estimated from the chart's size less what title, legend and the other axis take.
 */
function wrappedAxisTitles(
  scales: Record<string, ScaleLike | undefined> | undefined,
  width: number,
  height: number,
  heading: boolean,
): Record<string, ScaleLike> | undefined {
  if (!scales) return scales;
  const wrapped: Record<string, ScaleLike> = {};
  for (const [id, scale] of Object.entries(scales)) {
    const text = scale?.title?.text;
    const vertical = scale?.position === 'left' || scale?.position === 'right' || (scale?.axis ?? id.charAt(0)) === 'y';
    const length = vertical ? height - (heading ? 150 : 90) : width - 90;
    // 7 px per character: DejaVu Sans at Chart.js's 12 px, the widest of the figure fonts.
    const maxChars = Math.max(12, Math.floor(length / 7));
    wrapped[id] =
      scale && typeof text === 'string' && text.length > maxChars
        ? { ...scale, title: { ...scale.title, text: wrapWords(text, maxChars) } }
        : (scale as ScaleLike);
  }
  return wrapped;
}

/** A Chart.js configuration for a fixed-size, non-responsive export with title, caption and a white background. */
export function exportChartConfiguration(spec: ChartFigureSpec, options: ChartExportOptions = {}): ChartConfiguration {
  const chartOptions = spec.chart.options ?? {};
  const heading = options.heading ?? true;
  const scales = (chartOptions as { scales?: Record<string, ScaleLike | undefined> }).scales;
  return {
    ...spec.chart,
    options: {
      ...chartOptions,
      ...(scales ? { scales: wrappedAxisTitles(scales, spec.width, spec.height, heading) } : {}),
      responsive: false,
      animation: false,
      devicePixelRatio: options.density ?? EXPORT_PIXEL_RATIO,
      plugins: {
        ...chartOptions.plugins,
        // A title wider than a narrow export is set on two lines rather than cut at both edges.
        title: {
          display: heading,
          text: wrapWords(spec.title, Math.max(20, Math.floor((spec.width - 24) / 10))),
          color: palette.textStrong,
          font: { family: FIGURE_FONT_FAMILY, size: 16, weight: 600 },
          padding: { top: 8, bottom: 2 },
        },
        subtitle: {
          display: heading,
          text: captionLines(spec.caption, spec.width),
          color: palette.text,
          font: { family: FIGURE_FONT_FAMILY, size: 11 },
          padding: { bottom: 8 },
        },
      },
    },
    plugins: [...(spec.chart.plugins ?? []), whiteBackgroundPlugin],
  } as ChartConfiguration;
}

function canvasCaptionLines(spec: CanvasFigureSpec): string[] {
  return captionLines(spec.caption, spec.width + 2 * EXPORT_MARGIN);
}

/** Each further title line. */
const TITLE_LINE_HEIGHT = 20;

/** The title as lines that fit at 16 px bold (about 10 px a character in DejaVu Sans Bold), rather than squeezed. */
function canvasTitleLines(spec: CanvasFigureSpec): string[] {
  return wrapWords(spec.title, Math.max(20, Math.floor(spec.width / 10)));
}

function canvasHeaderHeight(spec: CanvasFigureSpec): number {
  return (
    EXPORT_HEADER_HEIGHT +
    (canvasTitleLines(spec).length - 1) * TITLE_LINE_HEIGHT +
    (canvasCaptionLines(spec).length - 1) * CAPTION_LINE_HEIGHT
  );
}

/** Pixel size of a canvas figure's export (header included), before the density. */
export function canvasExportSize(spec: CanvasFigureSpec): { width: number; height: number } {
  return { width: spec.width + 2 * EXPORT_MARGIN, height: spec.height + canvasHeaderHeight(spec) + EXPORT_MARGIN };
}

/**
 * The spec as exported at `size`: a chart at the size's width and aspect; a canvas figure with
 * its body as wide as the size leaves inside the margins (its height is its own). "screen"
 * keeps the spec as it is.
 */
export function sizedFigure<Spec extends FigureSpec>(spec: Spec, size: FigureSize): Spec {
  if (size.layoutWidth === null) return spec;
  if (spec.kind === 'chart')
    return {
      ...spec,
      width: size.layoutWidth,
      height: Math.round(size.layoutWidth * (size.aspect ?? spec.height / spec.width)),
    };
  const width = size.layoutWidth - 2 * EXPORT_MARGIN;
  return { ...spec, width, height: spec.heightFor?.(width) ?? spec.height };
}

/** The size of a figure's export in CSS pixels (title and caption included). */
export function figureExportSize(spec: FigureSpec): { width: number; height: number } {
  return spec.kind === 'chart' ? { width: spec.width, height: spec.height } : canvasExportSize(spec);
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
  const titleLines = canvasTitleLines(spec);
  titleLines.forEach((line, i) =>
    ctx.fillText(line, EXPORT_MARGIN, 8 + i * TITLE_LINE_HEIGHT, width - 2 * EXPORT_MARGIN),
  );
  ctx.fillStyle = palette.text;
  ctx.font = figureFont(11);
  const captionTop = 30 + (titleLines.length - 1) * TITLE_LINE_HEIGHT;
  canvasCaptionLines(spec).forEach((line, i) =>
    ctx.fillText(line, EXPORT_MARGIN, captionTop + i * CAPTION_LINE_HEIGHT, width - 2 * EXPORT_MARGIN),
  );
  ctx.save();
  ctx.translate(EXPORT_MARGIN, canvasHeaderHeight(spec));
  spec.draw(ctx, spec.width, spec.height);
  ctx.restore();
}

/**
 * A report is one tall image: a header drawn by a canvas spec, then rows of figures (one across
 * the width, or two side by side), each under a title band, and a footer. The layout is a pure
 * description (where each panel goes), so the renderer (browser canvas, drawn panel by panel
 * between idle callbacks) and the CLI (@napi-rs/canvas) compose the same report. Chart.js owns the
 * canvas it draws on, so a host renders each chart panel on its own canvas at the body's size and
 * density and hands the image to `drawReportPanel`; canvas panels draw straight onto the report.
 */
import type { FigureSize } from './figureSizes';
import { figureFont } from './fonts';
import { palette } from './palette';
import { arrangeTables, drawTable, fitText, type TableArrangement } from './reportTables';
import { wrapText } from './textWidths';
import type { FigureRow } from './runFigures';
import type { Canvas2DContext, CanvasFigureSpec, FigureSpec } from './types';

export class ReportLayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportLayoutError';
  }
}

/** A 2D context that can also place an image (what composing chart panels needs). */
export interface ReportContext extends Canvas2DContext {
  drawImage(image: never, dx: number, dy: number, dw: number, dh: number): void;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ReportPanel {
  spec: FigureSpec;
  /** Where the panel's title is written; null for the report's header, which titles itself. */
  titleBand: Rect | null;
  /** Where the figure itself is drawn: a chart at exactly this size, a canvas figure into it. */
  body: Rect;
}

export interface ReportLayout {
  /** Identifies the kind of report in tests and file names ("run-report", "comparison-report"). */
  id: string;
  /** Size in CSS pixels; the image is this times the density. */
  width: number;
  height: number;
  panels: ReportPanel[];
  /** A line at the bottom: what made the report and when. */
  footer: string;
  /** Suggested file name, e.g. "sinusoid-run-3-report.png". */
  fileName: string;
  /** What it was laid out from, so it can be laid out again at another size (`layoutReportAt`). */
  input: ReportInput;
}

export const REPORT_WIDTH = 1100;
/** The width a report header spec declares (the page's content width). */
const headerWidth = 1044;

/** "2026-11-26T05:15:00.000Z" → "2026-11-26 05:15 UTC". */
export function formatReportDate(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A name as part of a file name, letters, digits, `.`, `_` and `-` only ("lenet5 run #3" → "lenet5-run-3"); `fallback` if nothing is left. */
export function safeFileStem(text: string, fallback = 'run'): string {
  return (
    text
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 120) || fallback
  );
}

/** The footer line: what made the report, of what, and when (if known). */
export function reportFooter(options: { generator?: string; generatedAt?: string }, subject: string): string {
  return [
    options.generator ?? 'Bayesian Workbench',
    subject,
    options.generatedAt ? `made ${formatReportDate(options.generatedAt)}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

export interface ReportHeaderInput {
  /** Drawn large at the top. */
  heading: string;
  /** The panel's title and caption (exports and tests name it by them). */
  title: string;
  caption: string;
  /** Lines under the heading: the first at 13 px, the rest at 12 px; each wraps to the width. */
  lines: readonly string[];
  /** The tables below the lines, in the ways they may be set out (widest first, see arrangeTables). */
  tables: readonly TableArrangement[];
}

const headingSize = 24;
const headingLineHeight = 30;
const textLineHeight = 17;
const textGap = 5;
const blockGap = 12;

interface HeaderLine {
  text: string;
  size: number;
  weight: number;
  y: number;
}

/** The header's text wrapped at `width`, each line with its top, and the height of the block (tables start there). */
function headerText(input: ReportHeaderInput, width: number): { lines: HeaderLine[]; height: number } {
  const lines: HeaderLine[] = [];
  let y = 0;
  for (const text of wrapText(input.heading, width, headingSize, 700)) {
    lines.push({ text, size: headingSize, weight: 700, y });
    y += headingLineHeight;
  }
  y += textGap;
  input.lines.forEach((line, i) => {
    const size = i === 0 ? 13 : 12;
    for (const text of wrapText(line, width, size)) {
      lines.push({ text, size, weight: 400, y });
      y += textLineHeight;
    }
  });
  return { lines, height: y + blockGap };
}

/**
 * The header panel of a report: its heading (24 px bold), lines of facts (13 px, then 12 px), then
 * its tables; text wraps and tables stack as the width asks, so nothing is cut at any size.
 */
export function reportHeader(input: ReportHeaderInput): CanvasFigureSpec {
  const heightFor = (width: number) =>
    Math.ceil(headerText(input, width).height + arrangeTables(input.tables, width).height + 8);
  return {
    id: 'report-header',
    kind: 'canvas',
    title: input.title,
    caption: input.caption,
    width: headerWidth,
    height: heightFor(headerWidth),
    heightFor,
    draw(ctx, width) {
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      const text = headerText(input, width);
      for (const line of text.lines) {
        ctx.fillStyle = line.size === headingSize ? palette.textStrong : palette.text;
        ctx.font = figureFont(line.size, line.weight);
        // maxWidth only guards against a font wider than the figure font the lines were wrapped in.
        ctx.fillText(line.text, 0, line.y, width);
      }
      const top = text.height;
      for (const placed of arrangeTables(input.tables, width).tables)
        drawTable(ctx, placed.table, placed.x, top + placed.y, placed.width);
    },
  };
}
const margin = 28;
/** Print pages are narrow; a paper's own margins surround the figure. */
const printMargin = 10;
const columnGap = 24;
const rowGap = 18;
const titleBandHeight = 30;
const footerHeight = 34;
/** Chart bodies: one across the width, or one of a pair. */
const fullChartHeight = 430;
const halfChartHeight = 400;

/** How wide a report's page is and whether pairs stand side by side (see ./figureSizes). */
export interface ReportSizing {
  /** Page width in CSS pixels. */
  width: number;
  margin: number;
  pairs: boolean;
}

const screenSizing: ReportSizing = { width: REPORT_WIDTH, margin, pairs: true };

/** The sizing of a report at `size`: the screen's 1100 px, or the size's layout width. */
export function reportSizing(size: FigureSize): ReportSizing {
  if (size.layoutWidth === null) return screenSizing;
  return { width: size.layoutWidth, margin: printMargin, pairs: size.pairs };
}

export interface ReportInput {
  id: string;
  header: CanvasFigureSpec;
  rows: readonly FigureRow[];
  footer: string;
  fileName: string;
}

/** A chart's height: the screen's fixed heights, or 3:4 of a print page's narrower width (at least 220 px, so a plot area remains under legend and axes). */
function bodyHeight(spec: FigureSpec, pair: boolean, width: number, screen: boolean): number {
  if (spec.kind === 'canvas') return spec.heightFor?.(width) ?? spec.height;
  const screenHeight = pair ? halfChartHeight : fullChartHeight;
  return screen ? screenHeight : Math.round(Math.min(screenHeight, Math.max(220, width * 0.75)));
}

export function layoutReport(input: ReportInput, sizing: ReportSizing = screenSizing): ReportLayout {
  const left = sizing.margin;
  const screen = sizing === screenSizing;
  const contentWidth = sizing.width - 2 * left;
  // The header rearranges (wraps, stacks its tables) to the page's width.
  const headerHeight = input.header.heightFor?.(contentWidth) ?? input.header.height;
  const panels: ReportPanel[] = [
    {
      spec: input.header,
      titleBand: null,
      body: { x: left, y: left, width: contentWidth, height: headerHeight },
    },
  ];
  let y = left + headerHeight + rowGap;
  // A narrow page stacks the figures of a pair.
  const rows = sizing.pairs ? input.rows : input.rows.flatMap((row) => row.map((spec) => [spec] as const));
  for (const row of rows) {
    const count = (row as readonly FigureSpec[]).length;
    if (count === 0 || count > 2) throw new ReportLayoutError(`A report row holds one or two figures, not ${count}.`);
    const pair = row.length === 2;
    const width = pair ? (contentWidth - columnGap) / 2 : contentWidth;
    const height = Math.max(...row.map((spec) => bodyHeight(spec, pair, width, screen)));
    row.forEach((spec, column) => {
      const x = left + column * (width + columnGap);
      panels.push({
        spec,
        titleBand: { x, y, width, height: titleBandHeight },
        body: { x, y: y + titleBandHeight, width, height: bodyHeight(spec, pair, width, screen) },
      });
    });
    y += titleBandHeight + height + rowGap;
  }
  return {
    id: input.id,
    width: sizing.width,
    height: Math.ceil(y + footerHeight + (footerLines(input.footer, contentWidth).length - 1) * footerLineHeight),
    panels,
    footer: input.footer,
    fileName: input.fileName,
    input,
  };
}

/** The same report laid out at another size (see ./figureSizes). */
export function layoutReportAt(layout: ReportLayout, size: FigureSize): ReportLayout {
  return layoutReport(layout.input, reportSizing(size));
}

/** White page and footer; call first, on a context scaled to CSS pixels. */
export function drawReportPage(ctx: Canvas2DContext, layout: ReportLayout): void {
  const left = layout.panels[0]?.body.x ?? margin;
  ctx.fillStyle = palette.background;
  ctx.fillRect(0, 0, layout.width, layout.height);
  ctx.strokeStyle = palette.grid;
  ctx.lineWidth = 1;
  const width = layout.width - 2 * left;
  const lines = footerLines(layout.footer, width);
  const top = layout.height - footerHeight - (lines.length - 1) * footerLineHeight;
  ctx.beginPath();
  ctx.moveTo(left, top + 4);
  ctx.lineTo(layout.width - left, top + 4);
  ctx.stroke();
  ctx.fillStyle = palette.text;
  ctx.font = figureFont(footerSize);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  lines.forEach((line, i) => ctx.fillText(line, left, top + footerHeight / 2 + 2 + i * footerLineHeight, width));
}

const footerSize = 11;
const footerLineHeight = 15;

/** The footer wrapped to the page's content width (a narrow page puts it on more lines). */
function footerLines(footer: string, width: number): string[] {
  return wrapText(footer, width, footerSize);
}

/**
 * Draws one panel: its title band, then the body — a canvas figure drawn in place, or a chart's
 * image (rendered by the host at the body's size and density; required for chart panels).
 */
export function drawReportPanel(ctx: ReportContext, panel: ReportPanel, chartImage?: unknown): void {
  const { spec, body } = panel;
  if (spec.kind === 'chart' && chartImage === undefined) {
    throw new ReportLayoutError(
      `The chart panel "${spec.id}" needs its rendered image; render the chart at ${body.width}×${body.height} first.`,
    );
  }
  drawReportPanelTitle(ctx, panel);
  if (spec.kind === 'canvas') {
    ctx.save();
    ctx.translate(body.x, body.y);
    spec.draw(ctx, body.width, body.height);
    ctx.restore();
    return;
  }
  ctx.drawImage(chartImage as never, body.x, body.y, body.width, body.height);
}

/** A panel's title band (the header panel has none). */
export function drawReportPanelTitle(ctx: Canvas2DContext, panel: ReportPanel): void {
  const { spec, titleBand } = panel;
  if (titleBand) {
    ctx.fillStyle = palette.textStrong;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    // A long title (half-width panels) steps down a size, then is cut with "…" rather than squeezed.
    ctx.font = figureFont(15, 600);
    if (ctx.measureText(spec.title).width > titleBand.width) ctx.font = figureFont(13, 600);
    ctx.fillText(fitText(ctx, spec.title, titleBand.width), titleBand.x, titleBand.y + titleBand.height / 2 - 2);
    ctx.strokeStyle = palette.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(titleBand.x, titleBand.y + titleBand.height - 3);
    ctx.lineTo(titleBand.x + titleBand.width, titleBand.y + titleBand.height - 3);
    ctx.stroke();
  }
}

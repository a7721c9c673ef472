/**
 * Draws figure specs (core/figures) without a display, on @napi-rs/canvas: chart specs through
 * Chart.js in Node (controllers registered, animation and responsiveness off, devicePixelRatio =
 * the density), canvas specs by calling their draw function. Text is set in DejaVu Sans (Debian's
 * fonts-dejavu-core), registered as 'Workbench Sans', the first family of every figure font, so a
 * report has the same text metrics on every machine that renders it.
 */
import { existsSync } from 'node:fs';
import { Canvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import { Chart } from 'chart.js';
import { registerFigureCharts } from '../../core/figures/chartComponents';
import {
  canvasExportSize,
  drawCanvasFigureForExport,
  EXPORT_PIXEL_RATIO,
  exportChartConfiguration,
} from '../../core/figures/export';
import {
  drawReportPage,
  drawReportPanel,
  type ReportContext,
  type ReportLayout,
} from '../../core/figures/reportLayout';
import type { Canvas2DContext, ChartFigureSpec, FigureSpec } from '../../core/figures/types';

export class FigureRendererError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FigureRendererError';
  }
}

/** Regular and bold faces, in order of preference; the first family found is used. */
const fontCandidates = [
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'],
  [
    '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
    '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
  ],
  ['/usr/share/fonts/TTF/DejaVuSans.ttf', '/usr/share/fonts/TTF/DejaVuSans-Bold.ttf'],
] as const;

let setUp = false;
let registeredFont: string | null = null;
let registeredFaces: readonly [string, string] | null = null;

/** The regular and bold TTF files registered as the figure font (null: none found); vector exports embed the same. */
export function figureFontFiles(): readonly [string, string] | null {
  setUpHeadlessFigures();
  return registeredFaces;
}

/** Registers the Chart.js components and the figure font once per process; returns the font file used (null: none found). */
export function setUpHeadlessFigures(
  warn: (message: string) => void = (message) => console.error(`Warning: ${message}`),
): string | null {
  if (setUp) return registeredFont;
  setUp = true;
  registerFigureCharts();
  Chart.defaults.color = '#475569';
  for (const faces of fontCandidates) {
    if (!faces.every((file) => existsSync(file))) continue;
    for (const file of faces) GlobalFonts.registerFromPath(file, 'Workbench Sans');
    registeredFont = faces[0];
    registeredFaces = faces;
    return registeredFont;
  }
  warn(
    'Neither DejaVu Sans nor Liberation Sans is installed (apt-get install fonts-dejavu-core); figures fall back to the default font and may look different on other machines.',
  );
  return null;
}

/**
 * Draws a chart spec at `width` × `height` CSS pixels and `density` pixels per CSS pixel, hands
 * the canvas to `use`, then frees the chart (Chart.js clears its canvas on destroy, so the pixels
 * must be used first).
 */
export function withChartCanvas<T>(
  spec: ChartFigureSpec,
  size: { width: number; height: number; density: number; heading: boolean },
  use: (canvas: Canvas) => T,
): T {
  setUpHeadlessFigures();
  const canvas = new Canvas(size.width, size.height);
  const configuration = exportChartConfiguration(
    { ...spec, width: size.width, height: size.height },
    { density: size.density, heading: size.heading },
  );
  // Chart.js's basic (non-DOM) platform sizes the chart from the canvas, then scales it by the density;
  // without animation the constructor draws at once.
  const chart = new Chart(canvas as unknown as HTMLCanvasElement, configuration);
  try {
    if (canvas.width !== Math.floor(size.width * size.density)) {
      throw new FigureRendererError(
        `Chart.js drew "${spec.id}" at ${canvas.width} px wide, not ${Math.floor(size.width * size.density)}; the headless platform did not apply the density.`,
      );
    }
    return use(canvas);
  } finally {
    chart.destroy();
  }
}

/** 300 dpi on a 13.33-inch slide laid out at 960 px is 4.17 px per CSS pixel; nothing asks for more. */
function checkDensity(density: number): void {
  if (!Number.isFinite(density) || density < 1 || density > 5)
    throw new FigureRendererError(
      `A pixel density of ${density} is not supported; use 1 to 5 (2 by default, 3 for print, about 3.3 to 4.2 for 300 dpi at print sizes).`,
    );
}

/** One figure as exported from the workbench (title, caption, white background) → PNG bytes. */
export async function renderFigurePng(spec: FigureSpec, density: number = EXPORT_PIXEL_RATIO): Promise<Buffer> {
  checkDensity(density);
  setUpHeadlessFigures();
  if (spec.kind === 'chart')
    return withChartCanvas(spec, { width: spec.width, height: spec.height, density, heading: true }, (canvas) =>
      canvas.toBuffer('image/png'),
    );
  const { width, height } = canvasExportSize(spec);
  const canvas = new Canvas(Math.round(width * density), Math.round(height * density));
  const ctx = canvas.getContext('2d');
  ctx.scale(density, density);
  drawCanvasFigureForExport(spec, ctx as unknown as Canvas2DContext);
  return canvas.encode('png');
}

/** A report layout (core/figures/reportLayout) composed panel by panel → PNG bytes. */
export async function renderReportPng(layout: ReportLayout, density: number = EXPORT_PIXEL_RATIO): Promise<Buffer> {
  checkDensity(density);
  setUpHeadlessFigures();
  const canvas = new Canvas(Math.round(layout.width * density), Math.round(layout.height * density));
  const ctx: SKRSContext2D = canvas.getContext('2d');
  ctx.scale(density, density);
  const reportContext = ctx as unknown as ReportContext;
  drawReportPage(reportContext, layout);
  for (const panel of layout.panels) {
    const { spec, body } = panel;
    if (spec.kind === 'chart')
      withChartCanvas(spec, { ...body, density, heading: false }, (image) =>
        drawReportPanel(reportContext, panel, image),
      );
    else drawReportPanel(reportContext, panel);
  }
  return canvas.encode('png');
}

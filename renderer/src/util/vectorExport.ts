/**
 * SVG and PDF of figures and reports in the renderer, from the same specs and the same drawing
 * code as the CLI (core/figures/drawFigure on core's SVG context; PDF by PDFKit's browser build
 * and SVG-to-PDFKit). The figure font is DejaVu Sans, bundled from the `dejavu-fonts-ttf` package:
 * it is registered with the page as 'Workbench Sans' (the first family of every figure font), so
 * text is measured in the font the SVG names and the PDF embeds, as the CLI measures it.
 * PDFKit is loaded on the first PDF only (it is a large module).
 */
import regularFontUrl from 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf?url';
import boldFontUrl from 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf?url';
import { drawFigureExport, drawReport, type DrawingContext } from '../../../core/figures/drawFigure';
import { figureExportSize, sizedFigure } from '../../../core/figures/export';
import { physicalSize, svgDimensions, type FigureSize } from '../../../core/figures/figureSizes';
import { svgToPdf, type PdfToolkit } from '../../../core/figures/pdfFromSvg';
import type { ReportLayout } from '../../../core/figures/reportLayout';
import { parseFont, SvgContext, type TextMeasurer } from '../../../core/figures/svgContext';
import type { FigureSpec } from '../../../core/figures/types';
import '../charts/registerCharts';
import { FigureExportError } from './exportFigure';

/** What SVGs name: the font the text was measured in, by the name viewers know it. */
const SVG_FONT_FAMILY = "'DejaVu Sans', 'Workbench Sans', sans-serif";

let fontBytes: Promise<PdfToolkit['fonts']> | null = null;

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok)
    throw new FigureExportError(
      `The figure font could not be loaded from ${url} (HTTP ${response.status}); reload the app.`,
    );
  return new Uint8Array(await response.arrayBuffer());
}

/** Loads DejaVu Sans once, registers it with the page as 'Workbench Sans', and keeps its bytes for PDFs. */
export function loadFigureFont(): Promise<PdfToolkit['fonts']> {
  fontBytes ??= (async () => {
    const [regular, bold] = await Promise.all([fetchBytes(regularFontUrl), fetchBytes(boldFontUrl)]);
    const faces = [
      new FontFace('Workbench Sans', regular.slice().buffer, { weight: '400' }),
      new FontFace('Workbench Sans', bold.slice().buffer, { weight: '700' }),
    ];
    await Promise.all(faces.map((face) => face.load()));
    for (const face of faces) document.fonts.add(face);
    return { regular, bold };
  })().catch((error: unknown) => {
    fontBytes = null;
    throw error;
  });
  return fontBytes;
}

/**
 * Measures in 'Workbench Sans' whatever family a spec names (Chart.js's ticks use its default
 * family), since that is the font the SVG is read in and the PDF embeds.
 */
function textMeasurer(): TextMeasurer {
  const ctx = document.createElement('canvas').getContext('2d');
  if (!ctx)
    throw new FigureExportError(
      'This browser gave no 2D canvas context to measure text with; the figure cannot be exported.',
    );
  return {
    set font(value: string) {
      const font = parseFont(value);
      ctx.font = `${font.style} ${font.weight} ${font.size}px 'Workbench Sans'`;
    },
    get font() {
      return ctx.font;
    },
    set textBaseline(value) {
      ctx.textBaseline = value;
    },
    get textBaseline() {
      return ctx.textBaseline;
    },
    measureText: (text) => ctx.measureText(text),
  };
}

async function svgContext(width: number, height: number, size: FigureSize, title: string): Promise<SvgContext> {
  await loadFigureFont();
  return new SvgContext({
    width,
    height,
    measurer: textMeasurer(),
    fontFamily: SVG_FONT_FAMILY,
    title,
    ...svgDimensions(size, width, height),
  });
}

export async function renderFigureSvg(spec: FigureSpec, size: FigureSize): Promise<string> {
  const sized = sizedFigure(spec, size);
  const { width, height } = figureExportSize(sized);
  const ctx = await svgContext(width, height, size, sized.title);
  drawFigureExport(ctx as unknown as DrawingContext, sized);
  return ctx.toSvg();
}

/** A report already laid out at `size` (layoutReportAt). */
export async function renderReportSvg(layout: ReportLayout, size: FigureSize): Promise<string> {
  const ctx = await svgContext(layout.width, layout.height, size, layout.fileName.replace(/\.png$/, ''));
  drawReport(ctx as unknown as DrawingContext, layout);
  return ctx.toSvg();
}

async function pdfToolkit(): Promise<PdfToolkit> {
  const [{ default: PDFDocument }, { default: SVGtoPDF }, fonts] = await Promise.all([
    import('pdfkit'),
    import('svg-to-pdfkit'),
    loadFigureFont(),
  ]);
  return { createDocument: (options) => new PDFDocument(options), svgToPdfKit: SVGtoPDF, fonts };
}

export async function renderFigurePdf(spec: FigureSpec, size: FigureSize): Promise<Uint8Array> {
  const sized = sizedFigure(spec, size);
  const { width, height } = figureExportSize(sized);
  const svg = await renderFigureSvg(spec, size);
  return svgToPdf(svg, { ...physicalSize(size, width, height), title: sized.title }, await pdfToolkit());
}

export async function renderReportPdf(layout: ReportLayout, size: FigureSize): Promise<Uint8Array> {
  const svg = await renderReportSvg(layout, size);
  return svgToPdf(
    svg,
    { ...physicalSize(size, layout.width, layout.height), title: layout.fileName.replace(/\.png$/, '') },
    await pdfToolkit(),
  );
}

/**
 * SVG and PDF of figures and reports in the renderer, by the same code as the CLI
 * (core/figures/vectorExport; PDF by PDFKit's browser build and SVG-to-PDFKit). The figure font is DejaVu Sans, bundled from the `dejavu-fonts-ttf` package:
 * it is registered with the page as 'Workbench Sans' (the first family of every figure font), so
 * text is measured in the font the SVG names and the PDF embeds, as the CLI measures it.
 * PDFKit is loaded on the first PDF only (it is a large module).
 */
import regularFontUrl from 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf?url';
import boldFontUrl from 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf?url';
import type { FigureSize } from '../../../core/figures/figureSizes';
import type { PdfToolkit } from '../../../core/figures/pdfFromSvg';
import type { ReportLayout } from '../../../core/figures/reportLayout';
import { parseFont, type TextMeasurer } from '../../../core/figures/svgContext';
import type { FigureSpec } from '../../../core/figures/types';
import { figurePdf, figureSvg, reportPdf, reportSvg } from '../../../core/figures/vectorExport';
import '../charts/registerCharts';
import { FigureExportError } from './exportFigure';

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

/** The figure font loaded, a measurer set in it. */
async function fontAndMeasurer(): Promise<TextMeasurer> {
  await loadFigureFont();
  return textMeasurer();
}

export async function renderFigureSvg(spec: FigureSpec, size: FigureSize): Promise<string> {
  return figureSvg(spec, size, await fontAndMeasurer());
}

/** A report already laid out at `size` (layoutReportAt). */
export async function renderReportSvg(layout: ReportLayout, size: FigureSize): Promise<string> {
  return reportSvg(layout, size, await fontAndMeasurer());
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
  const toolkit = await pdfToolkit();
  return figurePdf(spec, size, textMeasurer(), toolkit);
}

export async function renderReportPdf(layout: ReportLayout, size: FigureSize): Promise<Uint8Array> {
  const toolkit = await pdfToolkit();
  return reportPdf(layout, size, textMeasurer(), toolkit);
}

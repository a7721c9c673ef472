/**
 * Figure and report files, headless: PNG through ./figureRenderer, and SVG and PDF here: the specs are drawn onto core's SVG context
 * (text measured by @napi-rs/canvas in the figure font the PNGs use, so all three formats lay
 * text out alike) and the SVG is turned into a PDF by PDFKit with that font embedded.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Canvas } from '@napi-rs/canvas';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { EXPORT_PIXEL_RATIO, figureExportSize, sizedFigure } from '../../core/figures/export';
import { FIGURE_SIZES, pngDensity, PRINT_DPI, type FigureSize } from '../../core/figures/figureSizes';
import { withPngResolution } from '../../core/figures/pngResolution';
import type { PdfToolkit } from '../../core/figures/pdfFromSvg';
import { layoutReportAt, type ReportLayout } from '../../core/figures/reportLayout';
import type { TextMeasurer } from '../../core/figures/svgContext';
import type { FigureSpec } from '../../core/figures/types';
import { figurePdf, figureSvg, reportPdf, reportSvg } from '../../core/figures/vectorExport';
import { figureFontFiles, renderFigurePng, renderReportPng, setUpHeadlessFigures } from './figureRenderer';

let measurer: TextMeasurer | null = null;

/** A @napi-rs/canvas context, with the figure fonts registered, measures the SVG's text. */
function textMeasurer(): TextMeasurer {
  setUpHeadlessFigures();
  measurer ??= new Canvas(1, 1).getContext('2d') as unknown as TextMeasurer;
  return measurer;
}

/** One figure as exported (title, caption, white background) at `size`, as an SVG document. */
export function renderFigureSvg(spec: FigureSpec, size: FigureSize = FIGURE_SIZES.screen): string {
  return figureSvg(spec, size, textMeasurer());
}

/** A report layout (already laid out at `size`, see layoutReportAt) as an SVG document. */
export function renderReportSvg(layout: ReportLayout, size: FigureSize = FIGURE_SIZES.screen): string {
  return reportSvg(layout, size, textMeasurer());
}

let fontBytes: PdfToolkit['fonts'] | null = null;

/**
 * The TTFs the PDF embeds: the ones registered for the PNGs (so both set the same glyphs), or
 * the DejaVu Sans of the `dejavu-fonts-ttf` package when the machine has neither DejaVu nor Liberation.
 */
function pdfFonts(): PdfToolkit['fonts'] {
  if (fontBytes) return fontBytes;
  setUpHeadlessFigures();
  const registered = figureFontFiles();
  const require = createRequire(import.meta.url);
  const [regular, bold] = registered ?? [
    require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
    require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
  ];
  fontBytes = { regular: readFileSync(regular), bold: readFileSync(bold) };
  return fontBytes;
}

const toolkit = (): PdfToolkit => ({
  createDocument: (options) => new PDFDocument(options),
  svgToPdfKit: (document, svg, x, y, options) => SVGtoPDF(document, svg, x, y, options),
  fonts: pdfFonts(),
});

/** One figure at `size` as a PDF page of the figure's physical size. */
export async function renderFigurePdf(spec: FigureSpec, size: FigureSize = FIGURE_SIZES.screen): Promise<Buffer> {
  return Buffer.from(await figurePdf(spec, size, textMeasurer(), toolkit()));
}

/** A report (laid out at `size`) as one PDF page of its physical size. */
export async function renderReportPdf(layout: ReportLayout, size: FigureSize = FIGURE_SIZES.screen): Promise<Buffer> {
  return Buffer.from(await reportPdf(layout, size, textMeasurer(), toolkit()));
}

export const FIGURE_FORMATS = ['png', 'svg', 'pdf'] as const;
export type FigureFormat = (typeof FIGURE_FORMATS)[number];

export interface FigureFileOptions {
  format: FigureFormat;
  size?: FigureSize;
  /** The PNG density at screen size (2 by default, 3 for print); print sizes are 300 dpi. */
  density?: number;
}

/** One figure as a file's bytes in the asked format and size. */
export async function renderFigureFile(spec: FigureSpec, options: FigureFileOptions): Promise<Buffer> {
  const size = options.size ?? FIGURE_SIZES.screen;
  if (options.format === 'svg') return Buffer.from(renderFigureSvg(spec, size));
  if (options.format === 'pdf') return renderFigurePdf(spec, size);
  const sized = sizedFigure(spec, size);
  return atPrintResolution(
    await renderFigurePng(
      sized,
      pngDensity(size, figureExportSize(sized).width, options.density ?? EXPORT_PIXEL_RATIO),
    ),
    size,
  );
}

/** A print-size PNG says it is 300 dpi, so documents place it at its physical width. */
function atPrintResolution(png: Buffer, size: FigureSize): Buffer {
  return size.widthInches === null ? png : Buffer.from(withPngResolution(png, PRINT_DPI));
}

/** A report as a file's bytes in the asked format, laid out at the asked size. */
export async function renderReportFile(layout: ReportLayout, options: FigureFileOptions): Promise<Buffer> {
  const size = options.size ?? FIGURE_SIZES.screen;
  const sized = layoutReportAt(layout, size);
  if (options.format === 'svg') return Buffer.from(renderReportSvg(sized, size));
  if (options.format === 'pdf') return renderReportPdf(sized, size);
  return atPrintResolution(
    await renderReportPng(sized, pngDensity(size, sized.width, options.density ?? EXPORT_PIXEL_RATIO)),
    size,
  );
}

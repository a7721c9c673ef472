/**
 * SVG and PDF of figures and reports: the one place that builds the SVG context (./svgContext) for
 * an export and draws a spec or a report on it (./drawFigure), so the CLI (electron/host/
 * vectorFigures) and the renderer (renderer/src/util/vectorExport) write the same files. What
 * differs between them is passed in: the text measurer (a canvas context set in the figure font,
 * @napi-rs/canvas or the browser's) and, for PDFs, the PDF toolkit (./pdfFromSvg).
 */
import { drawFigureExport, drawReport, type DrawingContext } from './drawFigure';
import { figureExportSize, sizedFigure } from './export';
import { physicalSize, svgDimensions, type FigureSize } from './figureSizes';
import { svgToPdf, type PdfToolkit } from './pdfFromSvg';
import type { ReportLayout } from './reportLayout';
import { SvgContext, type TextMeasurer } from './svgContext';
import type { FigureSpec } from './types';

/** The family every SVG names: the font the text was measured in (DejaVu Sans), by the names viewers know it. */
export const SVG_FONT_FAMILY = "'DejaVu Sans', 'Workbench Sans', sans-serif";

export interface VectorCanvas {
  /** The drawing's size in CSS pixels (the viewBox). */
  width: number;
  height: number;
  /** The export size: it sets the SVG's physical width and height. */
  size: FigureSize;
  /** The document's `<title>`. */
  title: string;
}

/** An SVG context for one export: measured by `measurer`, in the figure font, at `size`'s physical size. */
export function exportSvgContext(measurer: TextMeasurer, canvas: VectorCanvas): SvgContext {
  return new SvgContext({
    width: canvas.width,
    height: canvas.height,
    measurer,
    fontFamily: SVG_FONT_FAMILY,
    title: canvas.title,
    ...svgDimensions(canvas.size, canvas.width, canvas.height),
  });
}

/** A report's document title: its file name without the extension. */
export function reportTitle(layout: ReportLayout): string {
  return layout.fileName.replace(/\.png$/, '');
}

/** One figure as exported (title, caption, white background) at `size`, as an SVG document. */
export function figureSvg(spec: FigureSpec, size: FigureSize, measurer: TextMeasurer): string {
  const sized = sizedFigure(spec, size);
  const { width, height } = figureExportSize(sized);
  const ctx = exportSvgContext(measurer, { width, height, size, title: sized.title });
  drawFigureExport(ctx as unknown as DrawingContext, sized);
  return ctx.toSvg();
}

/** A report already laid out at `size` (see layoutReportAt) as an SVG document. */
export function reportSvg(layout: ReportLayout, size: FigureSize, measurer: TextMeasurer): string {
  const ctx = exportSvgContext(measurer, {
    width: layout.width,
    height: layout.height,
    size,
    title: reportTitle(layout),
  });
  drawReport(ctx as unknown as DrawingContext, layout);
  return ctx.toSvg();
}

/** One figure at `size` as a PDF page of the figure's physical size. */
export function figurePdf(
  spec: FigureSpec,
  size: FigureSize,
  measurer: TextMeasurer,
  toolkit: PdfToolkit,
): Promise<Uint8Array> {
  const sized = sizedFigure(spec, size);
  const { width, height } = figureExportSize(sized);
  return svgToPdf(
    figureSvg(spec, size, measurer),
    { ...physicalSize(size, width, height), title: sized.title },
    toolkit,
  );
}

/** A report already laid out at `size` as one PDF page of its physical size. */
export function reportPdf(
  layout: ReportLayout,
  size: FigureSize,
  measurer: TextMeasurer,
  toolkit: PdfToolkit,
): Promise<Uint8Array> {
  return svgToPdf(
    reportSvg(layout, size, measurer),
    { ...physicalSize(size, layout.width, layout.height), title: reportTitle(layout) },
    toolkit,
  );
}

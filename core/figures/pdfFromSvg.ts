/**
 * A figure's PDF from its SVG (./svgContext): PDFKit writes the PDF, SVG-to-PDFKit turns the SVG's
 * paths into PDF paths and its `<text>` into PDF text set in the embedded (subset) figure font, so
 * the PDF has the SVG's layout, selectable text and no raster but the images that are images.
 *
 * The libraries and the font bytes are passed in: Node hands over `pdfkit` and the TTF files the
 * PNGs are drawn with, the renderer PDFKit's browser build and the same TTFs fetched as assets;
 * this module only knows how to put them together.
 */

/** The part of a PDFKit document this module uses. */
export interface PdfDocumentLike {
  registerFont(name: string, source: Uint8Array): unknown;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  end(): void;
}

export interface PdfToolkit {
  createDocument(options: {
    size: [number, number];
    margin: number;
    info: Record<string, string | Date>;
    compress: boolean;
    font: Uint8Array;
  }): PdfDocumentLike;
  svgToPdfKit(document: PdfDocumentLike, svg: string, x: number, y: number, options: Record<string, unknown>): void;
  /** The figure font (DejaVu Sans): regular and bold TrueType bytes. */
  fonts: { regular: Uint8Array; bold: Uint8Array };
}

export class PdfExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PdfExportError';
  }
}

const regularFont = 'WorkbenchSans';
const boldFont = 'WorkbenchSans-Bold';

export interface PdfPage {
  /** Page size in points (the drawing's physical size, see ./figureSizes). */
  widthPt: number;
  heightPt: number;
  /** The document's title (the figure's or the report's). */
  title: string;
}

/** The SVG on one page of exactly its size, fonts embedded; resolves to the PDF's bytes. */
export function svgToPdf(svg: string, page: PdfPage, toolkit: PdfToolkit): Promise<Uint8Array> {
  // PDF's implementation limit: 14 400 pt (200 in) on a side.
  if (page.heightPt > 14_400 || page.widthPt > 14_400) {
    throw new PdfExportError(
      `A PDF page is at most 14400 pt on a side; this one would be ${Math.round(page.widthPt)}×${Math.round(page.heightPt)} pt. Export at a narrower size or one figure at a time.`,
    );
  }
  const document = toolkit.createDocument({
    size: [page.widthPt, page.heightPt],
    margin: 0,
    compress: true,
    info: { Title: page.title, Creator: 'Bayesian Workbench', Producer: 'Bayesian Workbench (PDFKit, SVG-to-PDFKit)' },
    // PDFKit opens every document in Helvetica unless told otherwise; its browser build has no
    // Helvetica registered, and a figure needs none.
    font: toolkit.fonts.regular,
  });
  const chunks: Uint8Array[] = [];
  const finished = new Promise<Uint8Array>((resolve, reject) => {
    document.on('data', (chunk) => chunks.push(chunk));
    document.on('error', reject);
    document.on('end', () => {
      const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      resolve(bytes);
    });
  });
  document.registerFont(regularFont, toolkit.fonts.regular);
  document.registerFont(boldFont, toolkit.fonts.bold);
  const warnings: string[] = [];
  toolkit.svgToPdfKit(document, svg, 0, 0, {
    width: page.widthPt,
    height: page.heightPt,
    preserveAspectRatio: 'xMinYMin meet',
    // Every figure is set in the one figure font; its bold face for weights 600 and up.
    fontCallback: (_family: string, bold: boolean) => (bold ? boldFont : regularFont),
    warningCallback: (message: string) => warnings.push(message),
  });
  document.end();
  if (warnings.length > 0) {
    return finished.then(() => {
      throw new PdfExportError(
        `The figure's SVG could not be converted to PDF cleanly: ${warnings.slice(0, 3).join('; ')}.`,
      );
    });
  }
  return finished;
}

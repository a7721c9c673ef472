/** Modules without their own types (or imported by a path their types do not cover). */

/** SVG-to-PDFKit: the one function it exports (see its README). */
declare module 'svg-to-pdfkit' {
  export default function SVGtoPDF(
    document: unknown,
    svg: string,
    x: number,
    y: number,
    options?: Record<string, unknown>,
  ): void;
}

/**
 * PDFKit (its Node build in Node, its ES-module browser build in the renderer), typed as far as
 * core/figures/pdfFromSvg uses it; @types/pdfkit would bring Node's types into the renderer.
 */
declare module 'pdfkit' {
  const PDFDocument: new (options: object) => import('../../core/figures/pdfFromSvg').PdfDocumentLike;
  export default PDFDocument;
}

/** Vite's `?url` imports: the asset's URL in the built app. */
declare module '*?url' {
  const url: string;
  export default url;
}

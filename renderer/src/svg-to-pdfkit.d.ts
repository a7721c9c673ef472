/** SVG-to-PDFKit ships no types; this is the one function it exports (see its README). */
declare module 'svg-to-pdfkit' {
  export default function SVGtoPDF(document: unknown, svg: string, x: number, y: number, options?: Record<string, unknown>): void;
}

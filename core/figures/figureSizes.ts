/**
 * The sizes a figure or report is exported at. "screen" keeps each figure's own size (96 CSS
 * pixels per inch); the print sizes lay the figure out at a narrower width in CSS pixels and map
 * that width onto the paper's, so the figure is not a shrunken screen image: its text keeps its
 * size in points. The smallest text any figure sets is 9 px (class labels under bar plots), so a
 * print size maps at least 7/9 pt onto each CSS pixel, and nothing is set below 7 pt.
 */

export const FIGURE_SIZE_NAMES = ['screen', 'column', 'page', 'slide'] as const;
export type FigureSizeName = (typeof FIGURE_SIZE_NAMES)[number];

/** The smallest font size a figure uses, in CSS pixels (checked by the tests on every export). */
export const SMALLEST_FIGURE_FONT_PX = 9;
/** The smallest text a print size may set, in points. */
export const SMALLEST_PRINT_FONT_PT = 7;
/** Pixel density of PNGs at print sizes. */
export const PRINT_DPI = 300;

export interface FigureSize {
  name: FigureSizeName;
  /** What the size choice says. */
  label: string;
  /** Width on paper or slide in inches; null: the figure's own width at 96 px per inch. */
  widthInches: number | null;
  /** Width the figure is laid out at, in CSS pixels; null: the figure's own. */
  layoutWidth: number | null;
  /** A chart's height as a fraction of its width (null: the figure's own). */
  aspect: number | null;
  /** Whether a report puts two figures side by side at this width. */
  pairs: boolean;
}

export const FIGURE_SIZES: Record<FigureSizeName, FigureSize> = {
  screen: { name: 'screen', label: 'screen', widthInches: null, layoutWidth: null, aspect: null, pairs: true },
  // 3.5 in = 252 pt over 320 px: 0.79 pt per px, so 9 px text is 7.1 pt.
  column: {
    name: 'column',
    label: 'single column (3.5 in)',
    widthInches: 3.5,
    layoutWidth: 320,
    aspect: 0.85,
    pairs: false,
  },
  // 7.0 in = 504 pt over 640 px: the same 0.79 pt per px as a column, so both read alike in one paper.
  page: {
    name: 'page',
    label: 'double column / page (7.0 in)',
    widthInches: 7,
    layoutWidth: 640,
    aspect: 0.62,
    pairs: true,
  },
  // A 16:9 slide of 13.33 × 7.5 in (the presentation programs' default) over 960 × 540 px: 1 pt per px.
  slide: { name: 'slide', label: 'slide (16:9)', widthInches: 40 / 3, layoutWidth: 960, aspect: 9 / 16, pairs: true },
};

export class FigureSizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FigureSizeError';
  }
}

export function isFigureSizeName(value: string): value is FigureSizeName {
  return (FIGURE_SIZE_NAMES as readonly string[]).includes(value);
}

export function figureSize(name: string): FigureSize {
  if (!isFigureSizeName(name))
    throw new FigureSizeError(`"${name}" is not a figure size; use one of ${FIGURE_SIZE_NAMES.join(', ')}.`);
  return FIGURE_SIZES[name];
}

/** Points per CSS pixel at `size` for a drawing `width` CSS pixels wide (screen: 72/96). */
export function pointsPerPixel(size: FigureSize, width: number): number {
  return size.widthInches === null ? 0.75 : (size.widthInches * 72) / width;
}

/** Pixels per CSS pixel of a PNG: the chosen density on screen, 300 dpi at print sizes. */
export function pngDensity(size: FigureSize, width: number, screenDensity: number): number {
  return size.widthInches === null ? screenDensity : (size.widthInches * PRINT_DPI) / width;
}

/** The physical size of a drawing of `width` × `height` CSS pixels, in points. */
export function physicalSize(size: FigureSize, width: number, height: number): { widthPt: number; heightPt: number } {
  const scale = pointsPerPixel(size, width);
  return { widthPt: width * scale, heightPt: height * scale };
}

/** The SVG width/height attributes for that physical size ("3.5in"; screen: CSS pixels). */
export function svgDimensions(
  size: FigureSize,
  width: number,
  height: number,
): { physicalWidth: string; physicalHeight: string } {
  if (size.widthInches === null) return { physicalWidth: `${width}`, physicalHeight: `${height}` };
  const { widthPt, heightPt } = physicalSize(size, width, height);
  return {
    physicalWidth: `${Math.round(widthPt * 100) / 100}pt`,
    physicalHeight: `${Math.round(heightPt * 100) / 100}pt`,
  };
}

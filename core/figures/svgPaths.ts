/**
 * Painted paths of the SVG context (./svgContext), batched: consecutive paths of the same paint
 * become one `<path>` with many subpaths when that cannot change what is seen. A figure paints
 * thousands of small shapes in one style (the predictions figure's per-draw probability bars:
 * 50 draws × 10 classes × 20 images, each a translucent rectangle), and one element per shape
 * made a LeNet5 report's SVG 1.8 MB.
 *
 * When one path is the same picture as several: painted in the same paint, consecutively (so
 * nothing drawn between them changes its place in the stack), and either
 * - no two of them touch (boxes apart, widened by the stroke and a pixel of antialiasing): each
 *   point is painted by one of them, once, either way; or
 * - the paint is opaque and they are strokes (a stroke of several subpaths paints their union,
 *   which is what painting them one after another leaves), or rectangles of one orientation
 *   filled by the nonzero rule (overlaps wind twice, never cancel: the union again).
 * Translucent shapes that overlap stay separate, since each adds its own layer of ink.
 */

/** An axis-aligned box in the SVG's user space. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface PaintedPath {
  /** The path data. */
  d: string;
  /** Paint attributes, written as they are; equal strings are equal paints. */
  attributes: string;
  /** Where the path paints, widened by its stroke (and a pixel) so touching shapes overlap. */
  box: Box;
  opaque: boolean;
  stroke: boolean;
  evenOdd: boolean;
  /** 1 or -1 if the path is only rectangles, all wound that way; null otherwise. */
  rectangles: 1 | -1 | null;
}

/** The most subpaths one `<path>` gathers (each new one is checked against every box in it). */
const MAX_SUBPATHS = 2000;

interface Batch {
  attributes: string;
  parts: string[];
  boxes: Box[];
  opaque: boolean;
  stroke: boolean;
  evenOdd: boolean;
  rectangles: 1 | -1 | null;
}

const overlap = (p: Box, q: Box) => p.x0 < q.x1 && q.x0 < p.x1 && p.y0 < q.y1 && q.y0 < p.y1;

export class PathBatcher {
  private batch: Batch | null = null;

  /** Writes `<path>` elements to `out`; with `merge` false, one per painted path (as a canvas paints them). */
  constructor(
    private readonly out: string[],
    private readonly merge: boolean,
  ) {}

  add(path: PaintedPath): void {
    if (this.batch && this.merge && this.joins(this.batch, path)) {
      this.batch.parts.push(path.d);
      this.batch.boxes.push(path.box);
      if (this.batch.rectangles !== path.rectangles) this.batch.rectangles = null;
      return;
    }
    this.flush();
    this.batch = { ...path, parts: [path.d], boxes: [path.box] };
  }

  /** Writes the batch so far (before anything else is written, and at the end). */
  flush(): void {
    if (!this.batch) return;
    this.out.push(`<path d="${this.batch.parts.join('')}" ${this.batch.attributes}/>`);
    this.batch = null;
  }

  private joins(batch: Batch, path: PaintedPath): boolean {
    if (batch.attributes !== path.attributes || batch.boxes.length >= MAX_SUBPATHS) return false;
    if (!batch.boxes.some((box) => overlap(box, path.box))) return true;
    if (!path.opaque) return false;
    if (path.stroke) return true;
    return !path.evenOdd && path.rectangles !== null && batch.rectangles === path.rectangles;
  }
}

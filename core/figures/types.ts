/**
 * What a figure is, independent of where it is drawn: a Chart.js configuration, or a draw function
 * over a 2D context. The renderer draws specs on its canvases; a headless host draws the same
 * specs on a Node canvas (@napi-rs/canvas), so an exported PNG and the screen agree.
 *
 * Titles and captions travel beside the drawing, not inside it: the screen shows them in the
 * panel's header, an export puts them on the image (see `exportChartConfiguration` and
 * `drawCanvasFigureForExport` in ./export).
 */
import type { ChartConfiguration } from 'chart.js';
import type { RunConfig } from '../contract/runConfig';

/** The subset of CanvasRenderingContext2D the canvas figures use; @napi-rs/canvas's SKRSContext2D has it too. */
export interface Canvas2DContext {
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  globalAlpha: number;
  font: string;
  textAlign: 'left' | 'right' | 'center' | 'start' | 'end';
  textBaseline: 'top' | 'hanging' | 'middle' | 'alphabetic' | 'ideographic' | 'bottom';
  save(): void;
  restore(): void;
  translate(x: number, y: number): void;
  fillRect(x: number, y: number, width: number, height: number): void;
  strokeRect(x: number, y: number, width: number, height: number): void;
  clearRect(x: number, y: number, width: number, height: number): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  setLineDash(segments: number[]): void;
  fillText(text: string, x: number, y: number, maxWidth?: number): void;
  measureText(text: string): { width: number };
}

interface FigureSpecBase {
  /** Stable identifier: file names of exports, data-figure attributes on screen. */
  id: string;
  /** One line saying what is plotted. */
  title: string;
  /** The run's name and key settings, so an exported image says where it came from. */
  caption: string;
  /** Size of an export in CSS pixels (exports are drawn at 2× density). */
  width: number;
  height: number;
}

export interface ChartFigureSpec extends FigureSpecBase {
  kind: 'chart';
  /** Has axis titles with units and a legend; no title or caption (see ./export). */
  chart: ChartConfiguration;
}

/** The numbers behind a figure, as a table (a panel's CSV). */
export interface FigureTable {
  columns: string[];
  rows: (string | number | null)[][];
}

export interface CanvasFigureSpec extends FigureSpecBase {
  kind: 'canvas';
  /** Draws the figure body into a `width` × `height` area at the context's origin. */
  draw(ctx: Canvas2DContext, width: number, height: number): void;
  /** The numbers the figure draws (a chart's come from its datasets); a panel without it has no CSV. */
  data?(): FigureTable;
  /** Its height when drawn `width` wide, if that differs from `height` (a figure that rearranges when narrow). */
  heightFor?(width: number): number;
}

export type FigureSpec = ChartFigureSpec | CanvasFigureSpec;

/** What a caption is made of: the stored record of a run, or the part of it a test builds. */
export interface FigureRun {
  name: string;
  config: RunConfig;
  backend?: { name: string } | undefined;
}

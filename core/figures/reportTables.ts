/**
 * Text tables of report headers (a run's configuration and final metrics, a comparison's config
 * diff and metric table): a bold heading, then rows of cells. A cell wider than its column wraps
 * onto more lines (a long word is broken between characters), so nothing is cut at any width; the
 * layout is computed from the figure font's widths (./textWidths), so a table's height is known
 * before it is drawn.
 */
import { figureFont } from './fonts';
import { palette } from './palette';
import { wrapLines } from './textWidths';
import type { Canvas2DContext, CanvasFigureSpec } from './types';

export interface TextTable {
  heading: string;
  /** Column headings (drawn bold above the rows), or none for key/value lists. */
  columns?: readonly string[];
  rows: readonly (readonly string[])[];
  /** Fractions of the table's width per column (default: equal). */
  columnShares?: readonly number[];
  /** Colour swatches before the cells of a column header (one per column, null for none). */
  columnColours?: readonly (string | null)[];
}

/** The height of a one-line row; each further line of a wrapped row adds TABLE_LINE_HEIGHT. */
export const TABLE_ROW_HEIGHT = 17;
export const TABLE_LINE_HEIGHT = 13;
const headingSize = 13;
const headingLineHeight = 17;
const headingGap = 7;
const cellSize = 11;
const cellPadding = 8;
const swatchInset = 14;

/** `text` cut with "…" to fit `maxWidth` at the context's current font. */
export function fitText(ctx: Canvas2DContext, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (ctx.measureText(`${text.slice(0, middle)}…`).width <= maxWidth) low = middle;
    else high = middle - 1;
  }
  return `${text.slice(0, low)}…`;
}

/** A table laid out at a width: its heading's lines, column lefts and widths, and each row's wrapped cells. */
export interface TableLayout {
  width: number;
  headingLines: string[];
  lefts: number[];
  cellWidths: number[];
  /** The column headings' lines (none for key/value lists). */
  header: string[][] | null;
  rows: { cells: string[][]; height: number }[];
  height: number;
  /** Words broken between characters because no line of their cell holds them (see wrapLines). */
  brokenWords: number;
}

function columnCount(table: TextTable): number {
  return Math.max(table.columns?.length ?? 0, ...table.rows.map((row) => row.length), 1);
}

const rowHeight = (lineCount: number) => TABLE_ROW_HEIGHT + (Math.max(lineCount, 1) - 1) * TABLE_LINE_HEIGHT;

export function layoutTable(table: TextTable, width: number): TableLayout {
  const count = columnCount(table);
  const shares = table.columnShares ?? Array.from({ length: count }, () => 1 / count);
  const lefts: number[] = [];
  const cellWidths: number[] = [];
  let left = 0;
  for (let c = 0; c < count; c += 1) {
    lefts.push(left);
    cellWidths.push(Math.max(1, (shares[c] ?? 0) * width - cellPadding));
    left += (shares[c] ?? 0) * width;
  }
  let brokenWords = 0;
  const wrap = (text: string, maxWidth: number, size: number, weight?: number) => {
    const wrapped = wrapLines(text, maxWidth, size, weight);
    brokenWords += wrapped.brokenWords;
    return wrapped.lines;
  };
  const headingLines = wrap(table.heading, width, headingSize, 600);
  let height = headingLines.length * headingLineHeight + headingGap;
  let header: string[][] | null = null;
  if (table.columns) {
    header = table.columns.map((column, c) =>
      wrap(column, cellWidths[c] - (table.columnColours?.[c] ? swatchInset : 0), cellSize, 600),
    );
    height += rowHeight(Math.max(...header.map((lines) => lines.length))) + 4;
  }
  const rows = table.rows.map((row) => {
    const cells = row.map((cell, c) => wrap(cell, cellWidths[c] ?? 1, cellSize));
    return { cells, height: rowHeight(Math.max(1, ...cells.map((lines) => lines.length))) };
  });
  height += rows.reduce((sum, row) => sum + row.height, 0);
  return { width, headingLines, lefts, cellWidths, header, rows, height, brokenWords };
}

/** The height `table` takes drawn `width` wide. */
export function tableHeight(table: TextTable, width: number): number {
  return layoutTable(table, width).height;
}

/**
 * Writes one line of a laid-out text; `maxWidth` only guards against a font wider than the
 * figure font (a system font standing in for it), which canvas then narrows rather than overflows.
 */
function line(ctx: Canvas2DContext, text: string, x: number, y: number, maxWidth: number): void {
  ctx.fillText(text, x, y, Math.max(1, maxWidth));
}

/** Draws `table` with its top-left corner at (x, y), `width` wide; returns the height used. */
export function drawTable(ctx: Canvas2DContext, table: TextTable, x: number, y: number, width: number): number {
  const layout = layoutTable(table, width);
  const lefts = layout.lefts.map((left) => x + left);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillStyle = palette.textStrong;
  ctx.font = figureFont(headingSize, 600);
  layout.headingLines.forEach((text, i) => line(ctx, text, x, y + 2 + i * headingLineHeight, width));
  let rowY = y + layout.headingLines.length * headingLineHeight + headingGap;
  if (layout.header) {
    ctx.font = figureFont(cellSize, 600);
    layout.header.forEach((lines, c) => {
      const colour = table.columnColours?.[c] ?? null;
      const inset = colour ? swatchInset : 0;
      if (colour) {
        ctx.fillStyle = colour;
        ctx.fillRect(lefts[c], rowY + 2, 10, 10);
      }
      ctx.fillStyle = palette.textStrong;
      lines.forEach((text, i) =>
        line(ctx, text, lefts[c] + inset, rowY + 1 + i * TABLE_LINE_HEIGHT, layout.cellWidths[c] - inset),
      );
    });
    rowY += rowHeight(Math.max(...layout.header.map((lines) => lines.length)));
    ctx.strokeStyle = palette.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x, rowY + 1);
    ctx.lineTo(x + width, rowY + 1);
    ctx.stroke();
    rowY += 4;
  }
  layout.rows.forEach((row, r) => {
    if (r % 2 === 1) {
      ctx.fillStyle = 'rgba(100, 116, 139, 0.06)';
      ctx.fillRect(x, rowY - 1, width, row.height);
    }
    ctx.font = figureFont(cellSize);
    row.cells.forEach((lines, c) => {
      // The first column names the row: muted; the values are the content: strong.
      ctx.fillStyle = c === 0 ? palette.text : palette.textStrong;
      lines.forEach((text, i) => line(ctx, text, lefts[c], rowY + 2 + i * TABLE_LINE_HEIGHT, layout.cellWidths[c]));
    });
    rowY += row.height;
  });
  return rowY - y;
}

/** A figure that is one full-width table (the OOD and shift summaries of a report). */
export function tableFigure(id: string, title: string, caption: string, table: TextTable): CanvasFigureSpec {
  return {
    id,
    kind: 'canvas',
    title,
    caption,
    width: 1000,
    height: tableHeight(table, 1000) + 6,
    heightFor: (width) => tableHeight(table, width) + 6,
    draw(ctx, width) {
      drawTable(ctx, table, 0, 0, width);
    },
  };
}

/** A way to set tables out: columns side by side (`share` of the width each), each a stack of tables. */
export type TableArrangement = readonly { share: number; tables: readonly TextTable[] }[];

export interface PlacedTable {
  table: TextTable;
  x: number;
  y: number;
  width: number;
}

const stackGap = 18;

function place(
  arrangement: TableArrangement,
  width: number,
  gap: number,
): { tables: PlacedTable[]; height: number; brokenWords: number } {
  const usable = width - gap * (arrangement.length - 1);
  const tables: PlacedTable[] = [];
  let x = 0;
  let height = 0;
  let brokenWords = 0;
  for (const column of arrangement) {
    const columnWidth = usable * column.share;
    let y = 0;
    column.tables.forEach((table, i) => {
      if (i > 0) y += stackGap;
      tables.push({ table, x, y, width: columnWidth });
      const layout = layoutTable(table, columnWidth);
      y += layout.height;
      brokenWords += layout.brokenWords;
    });
    height = Math.max(height, y);
    x += columnWidth + gap;
  }
  return { tables, height, brokenWords };
}

/**
 * Of `arrangements`, the one that breaks the fewest words between characters, then the shortest,
 * then the earliest: on a wide page tables stand side by side; on a narrow one their cells would
 * be broken up, so one column of stacked tables wins.
 */
export function arrangeTables(
  arrangements: readonly TableArrangement[],
  width: number,
  gap = 24,
): { tables: PlacedTable[]; height: number } {
  let best: ReturnType<typeof place> | null = null;
  for (const arrangement of arrangements) {
    const placed = place(arrangement, width, gap);
    if (
      !best ||
      placed.brokenWords < best.brokenWords ||
      (placed.brokenWords === best.brokenWords && placed.height < best.height)
    )
      best = placed;
  }
  if (!best) throw new Error('arrangeTables needs at least one arrangement.');
  return { tables: best.tables, height: best.height };
}

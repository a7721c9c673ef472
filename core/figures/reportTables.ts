/**
 * Text tables of report headers (a run's configuration and final metrics, a comparison's config
 * diff and metric table): a bold heading, then rows of cells; long cells are cut with an ellipsis
 * rather than squeezed, so every row stays readable.
 */
import { figureFont } from './fonts';
import { palette } from './palette';
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

export const TABLE_ROW_HEIGHT = 17;
const headingHeight = 24;

export function tableHeight(table: TextTable): number {
  return headingHeight + (table.columns ? TABLE_ROW_HEIGHT + 4 : 0) + table.rows.length * TABLE_ROW_HEIGHT;
}

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

/** Draws `table` with its top-left corner at (x, y); returns the height used. */
export function drawTable(ctx: Canvas2DContext, table: TextTable, x: number, y: number, width: number): number {
  const columnCount = Math.max(table.columns?.length ?? 0, ...table.rows.map((row) => row.length), 1);
  const shares = table.columnShares ?? Array.from({ length: columnCount }, () => 1 / columnCount);
  const lefts: number[] = [];
  let left = x;
  for (let c = 0; c < columnCount; c += 1) {
    lefts.push(left);
    left += (shares[c] ?? 0) * width;
  }
  const cellWidth = (c: number) => (shares[c] ?? 0) * width - 8;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillStyle = palette.textStrong;
  ctx.font = figureFont(13, 600);
  ctx.fillText(fitText(ctx, table.heading, width), x, y + 2);
  let rowY = y + headingHeight;
  if (table.columns) {
    ctx.font = figureFont(11, 600);
    table.columns.forEach((column, c) => {
      const colour = table.columnColours?.[c] ?? null;
      const inset = colour ? 14 : 0;
      if (colour) {
        ctx.fillStyle = colour;
        ctx.fillRect(lefts[c], rowY + 2, 10, 10);
      }
      ctx.fillStyle = palette.textStrong;
      ctx.fillText(fitText(ctx, column, cellWidth(c) - inset), lefts[c] + inset, rowY + 1);
    });
    rowY += TABLE_ROW_HEIGHT;
    ctx.strokeStyle = palette.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x, rowY + 1);
    ctx.lineTo(x + width, rowY + 1);
    ctx.stroke();
    rowY += 4;
  }
  table.rows.forEach((row, r) => {
    if (r % 2 === 1) {
      ctx.fillStyle = 'rgba(100, 116, 139, 0.06)';
      ctx.fillRect(x, rowY - 1, width, TABLE_ROW_HEIGHT);
    }
    row.forEach((cell, c) => {
      // The first column names the row: muted; the values are the content: strong.
      ctx.fillStyle = c === 0 ? palette.text : palette.textStrong;
      ctx.font = figureFont(11);
      ctx.fillText(fitText(ctx, cell, cellWidth(c)), lefts[c], rowY + 2);
    });
    rowY += TABLE_ROW_HEIGHT;
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
    height: tableHeight(table) + 6,
    draw(ctx, width) {
      drawTable(ctx, table, 0, 0, width);
    },
  };
}

/**
 * The methods table (./methodsTable) in the forms it leaves the app: CSV (raw numbers), Markdown (as
 * the view shows it) and a canvas figure (PNG, SVG, PDF through the shared exports). The compare
 * view, the comparison report and `npm run report` all write it through these.
 */
import { csvField } from './csvField';
import { figureFont } from './fonts';
import { formatMethodsCell, type MethodsTable } from './methodsTable';
import { palette } from './palette';
import { fitText } from './reportTables';
import type { Canvas2DContext, CanvasFigureSpec } from './types';

/**
 * The table as CSV (raw numbers: fractions as fractions): one line per row, the mean and the std of
 * each score, how many runs it averages, and which columns it is best in.
 */
export function methodsTableCsv(table: MethodsTable): string {
  const header = [
    'task',
    'row',
    'method',
    'runs',
    'run_ids',
    ...table.columns.flatMap((column) => [column.csvColumn, `${column.csvColumn}_std`]),
    'best_in',
  ];
  const lines = [header.join(',')];
  for (const row of table.rows) {
    const bestIn = table.columns.filter((column) => table.best[column.key]?.includes(row.key)).map((c) => c.csvColumn);
    lines.push(
      [
        csvField(table.taskKind),
        csvField(row.label),
        csvField(row.method),
        csvField(row.runIds.length),
        csvField(row.runIds.join(' ')),
        ...table.columns.flatMap((column) => {
          const cell = row.cells[column.key];
          if (!cell || cell.mean === null) return [csvField(cell?.notApplicable ? 'n/a' : null), ''];
          return [csvField(cell.mean), csvField(cell.count > 1 ? cell.std : null)];
        }),
        csvField(bestIn.join(' ')),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A cell of a Markdown table: pipes escaped, line breaks flattened. */
const markdownCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/**
 * The table as Markdown (for a README or a lab notebook): the row's seed group, its method, how
 * many runs it averages, then each column as the view shows it ("mean ± std", "n/a", "—"), the best
 * of each column in bold.
 */
export function methodsTableMarkdown(table: MethodsTable, rows = table.rows): string {
  const header = ['run / seed group', 'method', 'runs', ...table.columns.map((column) => column.label)];
  const lines = [
    `| ${header.map(markdownCell).join(' | ')} |`,
    `| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
  ];
  for (const row of rows) {
    const cells = table.columns.map((column) => {
      const text = formatMethodsCell(row.cells[column.key], column);
      return table.best[column.key]?.includes(row.key) ? `**${text}**` : text;
    });
    lines.push(`| ${[row.label, row.method, String(row.runIds.length), ...cells].map(markdownCell).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

const HEADER_HEIGHT = 52;
const ROW_HEIGHT = 28;
const BEST_FILL = 'rgba(22, 163, 74, 0.16)';

/** `text` in at most `lines` lines of `maxWidth` (words kept whole where they fit; the last line cut with "…"). */
function wrapText(ctx: Canvas2DContext, text: string, maxWidth: number, lines: number): string[] {
  const words = text.split(' ');
  const result: string[] = [];
  let current = '';
  for (const word of words) {
    const candidate = current ? `${current} ${word}` : word;
    if (ctx.measureText(candidate).width <= maxWidth || !current) current = candidate;
    else {
      result.push(current);
      current = word;
    }
  }
  if (current) result.push(current);
  if (result.length <= lines) return result.map((line) => fitText(ctx, line, maxWidth));
  const kept = result.slice(0, lines);
  kept[lines - 1] = fitText(ctx, `${result.slice(lines - 1).join(' ')}`, maxWidth);
  return kept;
}

/**
 * The table as a figure (PNG, SVG, PDF through the shared exports), rows in the order given (the
 * view's sort): each cell the mean with "± std" under it, best cells bold on green, ▲/▼ saying
 * which way is better. Its numbers go to CSV through methodsTableCsv (raw values), not through the figure.
 */
export function methodsTableFigure(table: MethodsTable, caption: string, rows = table.rows): CanvasFigureSpec {
  const height = HEADER_HEIGHT + rows.length * ROW_HEIGHT + 22;
  const width = Math.max(900, 200 + 80 * table.columns.length);
  return {
    id: `methods-table-${table.taskKind}`,
    kind: 'canvas',
    title: `Methods table (${table.taskKind}${table.oodSet ? `; OOD against ${table.oodSet}` : ''}): mean ± std over seeds, best of each column marked`,
    caption,
    width,
    height,
    draw(ctx, drawWidth) {
      // Wide enough for the longest run label or method ("Deterministic (MAP) + temperature scaling"), at most 28 %.
      const widest = Math.max(
        ...rows.map((row) => {
          ctx.font = figureFont(10);
          const label = ctx.measureText(row.label).width;
          ctx.font = figureFont(9);
          return Math.max(label, ctx.measureText(row.method).width);
        }),
      );
      const labelShare = Math.min(0.28, Math.max(Math.min(0.2, 180 / drawWidth), (widest + 8) / drawWidth));
      const columnWidth = (drawWidth * (1 - labelShare)) / table.columns.length;
      const left = (c: number) => drawWidth * labelShare + c * columnWidth;
      const text = (
        value: string,
        x: number,
        y: number,
        size: number,
        weight = 400,
        colour: string = palette.textStrong,
      ) => {
        ctx.font = figureFont(size, weight);
        ctx.fillStyle = colour;
        ctx.fillText(value, x, y);
      };
      ctx.textBaseline = 'top';
      ctx.textAlign = 'left';
      text('run / seed group', 0, 2, 9.5, 600);
      text('method', 0, 14, 9, 400, palette.text);
      table.columns.forEach((column, c) => {
        ctx.font = figureFont(9.5, 600);
        wrapText(ctx, column.label, columnWidth - 6, 3).forEach((line, i) => text(line, left(c), 2 + 11 * i, 9.5, 600));
        text(`${column.better === 'higher' ? '▲' : '▼'} ${column.better}`, left(c), 37, 9, 400, palette.text);
      });
      ctx.strokeStyle = palette.grid;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(0, HEADER_HEIGHT - 3);
      ctx.lineTo(drawWidth, HEADER_HEIGHT - 3);
      ctx.stroke();
      rows.forEach((row, r) => {
        const y = HEADER_HEIGHT + r * ROW_HEIGHT;
        if (r % 2 === 1) {
          ctx.fillStyle = 'rgba(100, 116, 139, 0.06)';
          ctx.fillRect(0, y - 2, drawWidth, ROW_HEIGHT);
        }
        const labelWidth = drawWidth * labelShare - 6;
        ctx.font = figureFont(10);
        text(fitText(ctx, row.label, labelWidth), 0, y + 1, 10);
        ctx.font = figureFont(9);
        text(fitText(ctx, row.method, labelWidth), 0, y + 14, 9, 400, palette.text);
        table.columns.forEach((column, c) => {
          const cell = row.cells[column.key];
          const isBest = table.best[column.key]?.includes(row.key) ?? false;
          if (isBest) {
            ctx.fillStyle = BEST_FILL;
            ctx.fillRect(left(c) - 3, y - 2, columnWidth - 2, ROW_HEIGHT);
          }
          const shown = !cell || cell.mean === null ? formatMethodsCell(cell, column) : column.format(cell.mean);
          ctx.font = figureFont(10, isBest ? 700 : 400);
          text(fitText(ctx, shown, columnWidth - 6), left(c), y + 1, 10, isBest ? 700 : 400);
          if (cell && cell.mean !== null && cell.count > 1) {
            ctx.font = figureFont(9);
            text(fitText(ctx, `± ${column.format(cell.std)}`, columnWidth - 6), left(c), y + 14, 9, 400, palette.text);
          }
        });
      });
      const notes = [
        'mean over the seeds of a row, ± its sample std',
        'best of each column: bold on green',
        'n/a: the score does not apply to the method',
      ];
      if (table.oodSet) notes.push(`OOD columns: held-out images against ${table.oodSet}`);
      ctx.font = figureFont(9);
      text(
        fitText(ctx, notes.join(' · '), drawWidth),
        0,
        HEADER_HEIGHT + rows.length * ROW_HEIGHT + 6,
        9,
        400,
        palette.text,
      );
    },
  };
}

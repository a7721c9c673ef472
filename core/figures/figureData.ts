/**
 * The numbers a figure draws, as CSV (a panel's "CSV" button): for a chart, one row per point of
 * every dataset, with the series' name, the point's x and y and the title of the y axis it is
 * drawn against; for a canvas figure, the table its spec carries (`data`). Values are raw (no
 * rounding), as Chart.js was given them.
 */
import type { FigureSpec, FigureTable } from './types';

export class FigureDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FigureDataError';
  }
}

/**
 * One CSV field: numbers as they are, text quoted when it holds a comma, quote or line break,
 * and text a spreadsheet would read as a formula (=, +, -, @ first) prefixed with an apostrophe
 * (run names are typed by users; OWASP's advice on CSV injection).
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function tableCsv(table: FigureTable): string {
  return (
    [table.columns.map(csvField).join(','), ...table.rows.map((row) => row.map(csvField).join(','))].join('\n') + '\n'
  );
}

interface ScaleTitle {
  title?: { display?: boolean; text?: string | string[] };
}

function axisTitle(scales: Record<string, ScaleTitle | undefined> | undefined, id: string): string {
  const text = scales?.[id]?.title?.text;
  return Array.isArray(text) ? text.join(' ') : (text ?? id);
}

/** The numbers drawn in a chart spec: series, x, y, y axis (one row per point). */
export function chartTable(spec: FigureSpec & { kind: 'chart' }): FigureTable {
  const { data, options } = spec.chart;
  const scales = (options as { scales?: Record<string, ScaleTitle | undefined> } | undefined)?.scales;
  const horizontal = (options as { indexAxis?: string } | undefined)?.indexAxis === 'y';
  const labels = data.labels ?? [];
  const rows: (string | number | null)[][] = [];
  data.datasets.forEach((dataset, index) => {
    const series = dataset.label ?? `series ${index + 1}`;
    const yAxis = axisTitle(scales, (dataset as { yAxisID?: string }).yAxisID ?? (horizontal ? 'x' : 'y'));
    (dataset.data as unknown[]).forEach((point, i) => {
      if (point === null || point === undefined) return;
      if (typeof point === 'number') rows.push([series, String(labels[i] ?? i), point, yAxis]);
      else if (Array.isArray(point)) rows.push([series, String(labels[i] ?? i), point.join(' to '), yAxis]);
      else {
        const { x, y } = point as { x?: number | string; y?: number | string };
        rows.push([series, x ?? null, y ?? null, yAxis]);
      }
    });
  });
  return { columns: ['series', axisTitle(scales, horizontal ? 'y' : 'x'), 'y', 'y axis'], rows };
}

/** The CSV of the numbers `spec` draws. */
export function figureCsv(spec: FigureSpec): string {
  if (spec.kind === 'chart') return tableCsv(chartTable(spec));
  if (!spec.data)
    throw new FigureDataError(
      `The figure "${spec.id}" carries no table of its numbers; its draw function would have to provide one (CanvasFigureSpec.data).`,
    );
  return tableCsv(spec.data());
}

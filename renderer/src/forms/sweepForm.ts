/**
 * The run form's "Sweep" mode: axis rows (a dotted key and comma-separated values), seeds, grid or
 * random with a count, turned into a sweep file (core/sweeps/sweepFile.ts) around the form's
 * configuration. Values are read as JSON where they parse (numbers, true/false, null, [20,20]) and
 * as text otherwise (method names), so "0.01, 0.03" sweeps numbers and "vi, mcDropout" names.
 */
import type { SweepFileInput } from '../../../core/contract/sweep';
import { parseSeedList } from './runConfigForm';

export interface AxisRow {
  key: string;
  values: string;
}

export interface SweepFormInput {
  name: string;
  base: Record<string, unknown>;
  axes: readonly AxisRow[];
  seeds: string;
  search: 'grid' | 'random';
  count: string;
}

/** Splits on commas outside brackets, so "[20,20], [50]" is two values. */
export function splitValues(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '[' || char === '{') depth += 1;
    if (char === ']' || char === '}') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

export function parseAxisValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The sweep file, or the first problem (with the row it is in), and the number of runs it makes. */
export function sweepFileFromForm(input: SweepFormInput): { file: SweepFileInput; runs: number } | { error: string } {
  const name = input.name.trim();
  if (name === '') return { error: 'A sweep needs a name.' };
  const axes: Record<string, unknown[]> = {};
  for (const [index, row] of input.axes.entries()) {
    const key = row.key.trim();
    if (key === '' && row.values.trim() === '') continue;
    if (key === '') return { error: `Axis ${index + 1} has values but no key; choose the setting to sweep.` };
    if (Object.hasOwn(axes, key)) return { error: `The key “${key}” is swept twice; give each key one row.` };
    const values = splitValues(row.values).map(parseAxisValue);
    if (values.length === 0) return { error: `The axis “${key}” has no values; write them separated by commas.` };
    axes[key] = values;
  }
  const seeds = parseSeedList(input.seeds);
  if (seeds === null) return { error: 'A sweep needs seeds, e.g. 0-2 or 0,1,2.' };
  if ('error' in seeds) return { error: seeds.error };
  const combinations = Object.values(axes).reduce((product, values) => product * values.length, 1);
  let count: number | undefined;
  if (input.search === 'random') {
    count = Number(input.count);
    if (!/^\d+$/.test(input.count.trim()) || count < 1)
      return { error: 'A random search needs a count of combinations to draw (a whole number ≥ 1).' };
  }
  const file: SweepFileInput = {
    name,
    base: input.base,
    axes,
    seeds: seeds.seeds,
    search: input.search,
    ...(count !== undefined ? { count } : {}),
  };
  return { file, runs: (count ?? combinations) * seeds.seeds.length };
}

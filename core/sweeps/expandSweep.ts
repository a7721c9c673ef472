/**
 * A sweep file expanded into run configurations: the base configuration with each combination of
 * axis values set at its dotted keys, once per seed. `grid` takes every combination (the cartesian
 * product, last axis fastest); `random` draws `count` distinct combinations with a seeded
 * generator, so the same file always gives the same runs. Every configuration is validated with
 * the contract's runConfigSchema and every axis key is checked against the experiment's
 * configuration before anything runs; the messages name the key or the combination and say what
 * would work. Runs are ordered seed by seed (every combination at the first seed, then the next),
 * so a sweep stopped early has seen every combination. Runs whose configurations differ only in
 * `seed` form a seed group.
 */
import { runConfigSchema, type RunConfig } from '../contract/runConfig';
import { mixSeed } from '../random/seedStream';
import { MAX_SWEEP_RUNS, SweepError, type SweepFile } from './sweepFile';

export type AxisValues = Record<string, unknown>;

export interface SweptRun {
  config: RunConfig;
  /** The value of each axis in this run, by dotted key (in the file's axis order). */
  axisValues: AxisValues;
  seed: number;
  /** Its seed group (./seedGroupKey): equal for runs that differ only in seed. */
  groupKey: string;
  /** A readable name: the sweep's name, the axis values and the seed. */
  name: string;
}

export interface SeedGroup {
  key: string;
  axisValues: AxisValues;
  /** Indices into ExpandedSweep.runs. */
  runIndices: number[];
}

export interface ExpandedSweep {
  /** The swept keys, in the file's order. */
  keys: string[];
  runs: SweptRun[];
  groups: SeedGroup[];
}

/** Keys sorted, so equal values give equal text whatever order their keys were written in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The seed group of a configuration: everything but its seed. */
export function seedGroupKey(config: RunConfig): string {
  const { seed: _seed, ...rest } = config as RunConfig & Record<string, unknown>;
  void _seed;
  return canonicalJson(rest);
}

/** Every dotted key of a configuration's leaves (a list is a leaf: it is swept whole). */
export function configKeys(config: unknown, prefix = ''): string[] {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return prefix ? [prefix] : [];
  return Object.entries(config as Record<string, unknown>).flatMap(([key, value]) =>
    configKeys(value, prefix ? `${prefix}.${key}` : key),
  );
}

/** The value at a dotted key, or undefined when the configuration has none. */
export function valueAt(config: unknown, dottedKey: string): unknown {
  let current: unknown = config;
  for (const part of dottedKey.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current as object, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function withValueAt(config: Record<string, unknown>, dottedKey: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = dottedKey.split('.');
  if (rest.length === 0) return { ...config, [head]: value };
  const inner = config[head];
  return { ...config, [head]: withValueAt(inner as Record<string, unknown>, rest.join('.'), value) };
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j];
      row[j] = Math.min(
        row[j] + 1,
        row[j - 1] + 1,
        diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return row[b.length];
}

function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || 'config'}: ${issue.message}`)
    .join('; ');
}

/** A value as a run name or a table shows it ("0.03", "[20,20]", "normal"). */
export function formatAxisValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return canonicalJson(value);
}

function describeCombination(keys: readonly string[], values: readonly unknown[]): string {
  return keys.map((key, index) => `${key} = ${formatAxisValue(values[index])}`).join(', ');
}

/** `count` distinct integers of [0, size) drawn from `seed` (Floyd's algorithm), in ascending order. */
export function drawDistinct(size: number, count: number, seed: number): number[] {
  const chosen = new Set<number>();
  let state = mixSeed(seed);
  const uniformBelow = (bound: number) => {
    // Two 32-bit draws make 53 random bits: enough for any grid this schema allows.
    state = mixSeed(state);
    const high = state >>> 5;
    state = mixSeed(state);
    const low = state >>> 6;
    return Math.floor(((high * 67108864 + low) / 9007199254740992) * bound);
  };
  for (let j = size - count; j < size; j += 1) {
    const candidate = uniformBelow(j + 1);
    chosen.add(chosen.has(candidate) ? j : candidate);
  }
  return [...chosen].sort((a, b) => a - b);
}

/** The combination at `index` of the grid (mixed radix, last axis fastest). */
function combinationAt(index: number, lengths: readonly number[]): number[] {
  const positions = new Array<number>(lengths.length);
  let rest = index;
  for (let axis = lengths.length - 1; axis >= 0; axis -= 1) {
    positions[axis] = rest % lengths[axis];
    rest = Math.floor(rest / lengths[axis]);
  }
  return positions;
}

export function expandSweep(sweep: SweepFile): ExpandedSweep {
  const base = runConfigSchema.safeParse(sweep.base);
  if (!base.success)
    throw new SweepError(`The sweep's base is not a valid run configuration: ${describeIssues(base.error.issues)}.`);
  const baseConfig = base.data as RunConfig & Record<string, unknown>;
  const keys = Object.keys(sweep.axes);
  const known = configKeys(baseConfig).filter((key) => key !== 'seed' && key !== 'experiment');
  for (const key of keys) {
    if (key === 'experiment')
      throw new SweepError(
        'The axis "experiment" cannot be swept: a sweep trains one experiment; write one sweep per experiment.',
      );
    if (valueAt(baseConfig, key) !== undefined) continue;
    const nearest = known
      .map((candidate) => ({ candidate, distance: editDistance(key, candidate) }))
      .sort((a, b) => a.distance - b.distance)[0];
    const hint =
      nearest && nearest.distance <= Math.max(2, Math.floor(key.length / 4))
        ? ` Did you mean "${nearest.candidate}"?`
        : '';
    throw new SweepError(
      `The axis "${key}" is not a key of the ${baseConfig.experiment} configuration.${hint} Keys that can be swept: ${known.join(', ')}.`,
    );
  }
  for (const key of keys) {
    const seen = new Set<string>();
    for (const value of sweep.axes[key]) {
      const text = canonicalJson(value);
      if (seen.has(text))
        throw new SweepError(`The axis "${key}" lists the value ${text} twice; list each value once.`);
      seen.add(text);
    }
  }
  const lengths = keys.map((key) => sweep.axes[key].length);
  const gridSize = lengths.reduce((product, length) => product * length, 1);
  let indices: number[];
  if (sweep.search === 'random') {
    const count = sweep.count ?? 1;
    if (count > gridSize)
      throw new SweepError(
        `A random search of ${count} combinations was asked for, but the axes have only ${gridSize}; ` +
          `lower "count" to at most ${gridSize}, or use "search": "grid".`,
      );
    indices = drawDistinct(gridSize, count, sweep.randomSeed ?? 0);
  } else {
    if (gridSize * sweep.seeds.length > MAX_SWEEP_RUNS)
      throw new SweepError(
        `The grid has ${gridSize} combinations × ${sweep.seeds.length} seeds = ${gridSize * sweep.seeds.length} runs; ` +
          `a sweep starts at most ${MAX_SWEEP_RUNS}. Use fewer values, or "search": "random" with a "count".`,
      );
    indices = Array.from({ length: gridSize }, (_, index) => index);
  }
  const totalRuns = indices.length * sweep.seeds.length;
  if (totalRuns > MAX_SWEEP_RUNS)
    throw new SweepError(
      `The sweep would start ${indices.length} combinations × ${sweep.seeds.length} seeds = ${totalRuns} runs; at most ${MAX_SWEEP_RUNS} are allowed.`,
    );

  const combinations = indices.map((index) => {
    const positions = combinationAt(index, lengths);
    return keys.map((key, axis) => sweep.axes[key][positions[axis]]);
  });
  const runs: SweptRun[] = [];
  const groups = new Map<string, SeedGroup>();
  for (const seed of sweep.seeds) {
    for (const values of combinations) {
      let raw: Record<string, unknown> = { ...baseConfig, seed };
      keys.forEach((key, axis) => (raw = withValueAt(raw, key, values[axis])));
      const parsed = runConfigSchema.safeParse(raw);
      if (!parsed.success)
        throw new SweepError(
          `The combination ${describeCombination(keys, values)} (seed ${seed}) is not a valid run configuration: ` +
            `${describeIssues(parsed.error.issues)}. Change or remove that value.`,
        );
      const config = parsed.data;
      const axisValues = Object.fromEntries(keys.map((key, axis) => [key, values[axis]]));
      const groupKey = seedGroupKey(config);
      const label = keys.map((key, axis) => `${key}=${formatAxisValue(values[axis])}`).join(' · ');
      runs.push({
        config,
        axisValues,
        seed,
        groupKey,
        name: `${sweep.name}${label ? ` · ${label}` : ''} · seed ${seed}`.slice(0, 200),
      });
      const group = groups.get(groupKey) ?? { key: groupKey, axisValues, runIndices: [] };
      group.runIndices.push(runs.length - 1);
      groups.set(groupKey, group);
    }
  }
  return { keys, runs, groups: [...groups.values()] };
}

/** A readable, unique-enough sweep id: `sweep-20261129-120500-kl-weight-x7k2` (`suffix`: 4 random characters). */
export function createSweepId(name: string, now: Date, suffix: string): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'sweep';
  return `sweep-${date}-${time}-${slug}-${suffix.replace(/[^a-z0-9]/g, '').slice(0, 8)}`;
}

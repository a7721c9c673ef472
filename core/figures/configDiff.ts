/**
 * What differs between the configurations of compared runs. Configs are nested (prior.kind,
 * init.rho…); they are flattened to dotted keys so a table can show one setting per row.
 */
import type { RunConfig } from '../contract/runConfig';

export type ConfigValue = string | number | boolean | null;

/** `{ prior: { kind: 'normal', scale: 1 } }` → `{ 'prior.kind': 'normal', 'prior.scale': 1 }`; arrays stay whole ("[20,20]"). */
export function flattenConfig(config: RunConfig | Record<string, unknown>): Record<string, ConfigValue> {
  const flat: Record<string, ConfigValue> = {};
  const visit = (value: unknown, path: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) visit(inner, path ? `${path}.${key}` : key);
    } else if (Array.isArray(value)) {
      flat[path] = JSON.stringify(value);
    } else if (value === undefined) {
      // absent: shown as "—" by the diff
    } else {
      flat[path] = value as ConfigValue;
    }
  };
  visit(config, '');
  return flat;
}

export interface ConfigDifference {
  /** Dotted setting name, e.g. "prior.scale". */
  key: string;
  /** One per run, in the runs' order; undefined where a run's config has no such setting. */
  values: (ConfigValue | undefined)[];
}

/**
 * The settings whose values are not the same in every run, in the order they first appear
 * (a setting only some runs have — a LeNet5's dataset next to a sinusoid — differs too).
 */
export function configDifferences(configs: readonly RunConfig[]): ConfigDifference[] {
  const flats = configs.map((config) => flattenConfig(config));
  const keys: string[] = [];
  for (const flat of flats) for (const key of Object.keys(flat)) if (!keys.includes(key)) keys.push(key);
  return keys
    .map((key) => ({ key, values: flats.map((flat) => (key in flat ? flat[key] : undefined)) }))
    .filter(({ values }) => values.some((value) => value !== values[0]));
}

export function formatConfigValue(value: ConfigValue | undefined): string {
  if (value === undefined) return '—';
  if (value === null) return 'default';
  return String(value);
}

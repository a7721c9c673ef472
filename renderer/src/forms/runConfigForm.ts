/**
 * The new-run form, generated from the experiments' descriptors: which fields an experiment has
 * (its descriptor's `formFields`, whose choices come from the registries' zod enums), how a config
 * becomes the form's text values and back, and the schema's issues mapped to the field they
 * concern, in words a user can act on. Pure: no Vue, no DOM.
 */
import type { z } from 'zod';
import { runConfigSchema, type ExperimentName, type RunConfig } from '../../../core/contract/runConfig';
import { descriptorOf } from '../../../core/experiments/registry';
import { priorFieldDefaults } from '../../../core/forms/commonFields';
import type { FieldSpec, FormContext, FormValues } from '../../../core/forms/fieldSpec';

export type { FieldOption, FieldSpec, FormContext, FormValues } from '../../../core/forms/fieldSpec';

/** What the loss will weigh ΣKL by, so a blank field still says a number (the KL weight field's hint). */
export function effectiveKlWeight(experiment: ExperimentName, values: FormValues, context: FormContext = {}): string {
  return (
    fieldsFor(experiment)
      .find((field) => field.key === 'klWeight')
      ?.hint?.(values, context) ?? ''
  );
}

/** The experiment's form fields, from its descriptor (an unknown experiment is an error, not another's form). */
export function fieldsFor(experiment: ExperimentName | string): readonly FieldSpec[] {
  return descriptorOf(experiment).formFields;
}

export function isVisible(field: FieldSpec, values: FormValues): boolean {
  return field.visible?.(values) ?? true;
}

function readPath(source: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (value, key) =>
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      source,
    );
}

/** The form's values for a config (a preset's): numbers as text, null as blank. */
export function valuesFromConfig(config: RunConfig): FormValues {
  const fields = fieldsFor(config.experiment);
  const values: FormValues = { ...priorFieldDefaults };
  for (const field of fields) if (field.formOnly) values[field.key] = '';
  for (const field of fields) {
    if (field.formOnly) continue;
    const value = readPath(config, field.key);
    if (value === undefined) continue;
    if (field.fromConfig) Object.assign(values, field.fromConfig(value));
    else values[field.key] = typeof value === 'boolean' ? value : value === null ? '' : String(value);
  }
  return values;
}

function writePath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

export interface FormResult {
  /** The validated config, or null while any field has an issue. */
  config: RunConfig | null;
  /** Issue per field key ('' for issues no visible field owns). */
  issues: Record<string, string>;
}

/** Turns a zod issue into a sentence about the value ("must be ≥ 1"). */
export function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return `must be ${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}`;
    case 'too_big':
      return `must be ${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}`;
    case 'invalid_type':
      return issue.expected === 'int' ? 'must be a whole number' : `must be a ${issue.expected}`;
    default:
      return issue.message;
  }
}

/** Builds the config the form describes on top of the preset's (which keeps what the form does not show) and validates it. */
export function configFromValues(base: RunConfig, values: FormValues): FormResult {
  // A JSON copy: configs are JSON by contract, and a store hands them over as reactive proxies, which structuredClone refuses.
  const candidate = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  const issues: Record<string, string> = {};
  const fields = fieldsFor(base.experiment).filter((field) => isVisible(field, values));
  candidate.prior = { kind: values['prior.kind'] };
  for (const field of fields) {
    const raw = values[field.key];
    if (field.formOnly) continue;
    if (field.toConfig) {
      writePath(candidate, field.key, field.toConfig(values));
      continue;
    }
    if (field.control === 'number') {
      const text = String(raw ?? '').trim();
      if (text === '' && field.blankIsNull) writePath(candidate, field.key, null);
      else if (text === '' || !Number.isFinite(Number(text)))
        issues[field.key] = text === '' ? 'a number is needed' : `“${text}” is not a number`;
      else writePath(candidate, field.key, Number(text));
    } else {
      writePath(candidate, field.key, raw);
    }
  }
  const parsed = runConfigSchema.safeParse(candidate);
  if (!parsed.success) {
    const visibleKeys = new Set(fields.map((field) => field.key));
    for (const issue of parsed.error.issues) {
      let key = issue.path.join('.');
      const owner = fields.find((field) => field.key === key);
      if (owner?.issueKey) key = owner.issueKey(values);
      if (!visibleKeys.has(key)) key = '';
      if (!(key in issues))
        issues[key] =
          key === '' ? `${issue.path.join('.') || 'config'}: ${describeIssue(issue)}` : describeIssue(issue);
    }
  }
  return { config: parsed.success && Object.keys(issues).length === 0 ? parsed.data : null, issues };
}

export const MAX_REPEATED_SEEDS = 50;

/** "0-4", "0,1,2" or "0-2, 7" → the seeds, in order without repeats; an error sentence otherwise; null when blank. */
export function parseSeedList(text: string): { seeds: number[] } | { error: string } | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const seeds: number[] = [];
  for (const part of trimmed.split(',').map((piece) => piece.trim())) {
    const range = /^(\d+)\s*[-–]\s*(\d+)$/.exec(part);
    const single = /^\d+$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to < from) return { error: `“${part}” runs backwards; write the smaller seed first.` };
      if (to - from + 1 > MAX_REPEATED_SEEDS) return { error: `“${part}” is more than ${MAX_REPEATED_SEEDS} seeds.` };
      for (let seed = from; seed <= to; seed += 1) seeds.push(seed);
    } else if (single) {
      seeds.push(Number(part));
    } else {
      return { error: `“${part}” is not a seed or a range; write e.g. 0-4 or 0,1,2.` };
    }
  }
  const unique = [...new Set(seeds)];
  if (unique.length > MAX_REPEATED_SEEDS)
    return { error: `That is ${unique.length} seeds; at most ${MAX_REPEATED_SEEDS} at once.` };
  if (unique.some((seed) => seed > 2 ** 31 - 1)) return { error: 'A seed must be below 2³¹.' };
  return { seeds: unique };
}

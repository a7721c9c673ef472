/**
 * The new-run form, generated from the contract: which fields an experiment has (choices taken
 * from the zod enums), how a config becomes the form's text values and back, and the schema's
 * issues mapped to the field they concern, in words a user can act on. Pure: no Vue, no DOM.
 */
import type { z } from 'zod';
import {
  backendChoiceSchema,
  estimatorSchema,
  klFormSchema,
  priorConfigSchema,
  runConfigSchema,
  sinusoidConfigSchema,
  type ExperimentName,
  type RunConfig,
} from '../../../core/contract/runConfig';
import { formatKlWeight } from '../../../core/figures/format';

export type FormValues = Record<string, string | boolean>;

export interface FieldOption {
  value: string;
  label: string;
}

export interface FieldSpec {
  /** The config path ("prior.scale"), or a form-only key ("datasetPath"). */
  key: string;
  label: string;
  control: 'number' | 'select' | 'text' | 'checkbox';
  options?: readonly FieldOption[];
  /** A blank number field means null (the schema's default rule, e.g. KL weight 1/N_train). */
  blankIsNull?: boolean;
  placeholder?: string;
  /** Shown under the field: what a blank means, what the value amounts to. */
  hint?: (values: FormValues, context: FormContext) => string | null;
  visible?: (values: FormValues) => boolean;
}

/** What the host says about the experiment besides its fields (listExperiments). */
export interface FormContext {
  /** Training images per dataset name, where known before loading: the default KL weight is 1/N_train. */
  trainImages?: Readonly<Record<string, number>>;
}

const choices = (values: readonly string[], labels: Record<string, string> = {}): FieldOption[] => values.map((value) => ({ value, label: labels[value] ?? value }));
const priorKinds = priorConfigSchema.options.map((option) => option.shape.kind.value);
const priorIs = (kind: string) => (values: FormValues) => values['prior.kind'] === kind;

/** What the loss will weigh ΣKL by, so a blank field still says a number. */
export function effectiveKlWeight(experiment: ExperimentName, values: FormValues, context: FormContext = {}): string {
  const typed = String(values.klWeight ?? '').trim();
  if (typed !== '') return `KL weight ${typed}`;
  if (experiment === 'sinusoid') return 'blank: 1 / batches per epoch = 1 (full batch)';
  const scale = Number(values.klScale ?? 1) || 1;
  const scaleText = scale === 1 ? '1' : String(scale);
  const count = context.trainImages?.[String(values.dataset)];
  if (count) return `blank: klScale / N_train = ${scaleText}/${count.toLocaleString('en-US')} ≈ ${Number((scale / count).toPrecision(3))}`;
  return values.dataset === 'idx' ? 'blank: klScale / N_train of the folder (set when the run loads it)' : 'blank: klScale / N_train (set when the run loads its dataset)';
}

const priorFields: FieldSpec[] = [
  { key: 'prior.kind', label: 'Prior', control: 'select', options: choices(priorKinds, { normal: 'N(0, s²), fixed', trainableNormal: 'N(m, 1), m trained', scaleMixture: 'scale mixture of two Normals' }) },
  { key: 'prior.scale', label: 'Prior scale s', control: 'number', visible: priorIs('normal') },
  { key: 'prior.pi', label: 'Mixture π', control: 'number', visible: priorIs('scaleMixture') },
  { key: 'prior.sigma1', label: 'Mixture σ1', control: 'number', visible: priorIs('scaleMixture') },
  { key: 'prior.sigma2', label: 'Mixture σ2', control: 'number', visible: priorIs('scaleMixture') },
  { key: 'prior.learned', label: 'learn π, σ1, σ2', control: 'checkbox', visible: priorIs('scaleMixture') },
  { key: 'kl', label: 'KL form', control: 'select', options: choices(klFormSchema.options, { analytic: 'analytic (closed form)', monteCarlo: 'Monte Carlo' }) },
];

/** How either experiment's posterior is trained: estimator, prior, KL form and weight, learning rate. */
function inferenceFields(experiment: ExperimentName, estimators: readonly string[], klPlaceholder: string): FieldSpec[] {
  return [
    { key: 'estimator', label: 'Estimator', control: 'select', options: choices(estimators, { local: 'local reparameterization' }) },
    ...priorFields,
    { key: 'klWeight', label: 'KL weight', control: 'number', blankIsNull: true, placeholder: klPlaceholder, hint: (values, context) => effectiveKlWeight(experiment, values, context) },
    { key: 'learningRate', label: 'Learning rate', control: 'number' },
  ];
}

/** Last in every form. */
const runFields: FieldSpec[] = [
  { key: 'seed', label: 'Seed', control: 'number' },
  { key: 'backend', label: 'Backend', control: 'select', options: choices(backendChoiceSchema.options) },
];

const lenet5Fields: FieldSpec[] = [
  {
    key: 'dataset',
    label: 'Dataset',
    control: 'select',
    options: choices(['mnist', 'fashion-mnist', 'idx'], { mnist: 'MNIST (bundled, 9,000 / 1,000)', 'fashion-mnist': 'Fashion-MNIST (Debian package)', idx: 'IDX folder…' }),
  },
  { key: 'datasetPath', label: 'IDX folder', control: 'text', placeholder: '/path/to/folder', visible: (values) => values.dataset === 'idx' },
  ...inferenceFields('lenet5', estimatorSchema.options, 'klScale/N_train'),
  { key: 'klScale', label: 'KL scale (× 1/N_train)', control: 'number', visible: (values) => String(values.klWeight ?? '').trim() === '' },
  { key: 'learningRateSchedule', label: 'Learning-rate schedule', control: 'select', options: choices(['constant', 'cosine'], { cosine: 'cosine decay to 0' }) },
  { key: 'steps', label: 'Steps', control: 'number' },
  { key: 'batchSize', label: 'Batch size', control: 'number' },
  { key: 'evalEvery', label: 'Evaluate every (steps)', control: 'number' },
  { key: 'evalDraws', label: 'Posterior draws T', control: 'number' },
  { key: 'threshold', label: 'Refusal threshold', control: 'number' },
  ...runFields,
];

const sinusoidFields: FieldSpec[] = [
  ...inferenceFields('sinusoid', sinusoidConfigSchema.shape.estimator.unwrap().options, '1/batches'),
  { key: 'epochs', label: 'Epochs', control: 'number' },
  { key: 'samplesPerStep', label: 'Samples per step K', control: 'number' },
  { key: 'evalEvery', label: 'Snapshot every (epochs)', control: 'number' },
  { key: 'predictiveDraws', label: 'Predictive draws', control: 'number' },
  ...runFields,
];

export function fieldsFor(experiment: ExperimentName): FieldSpec[] {
  return experiment === 'lenet5' ? lenet5Fields : sinusoidFields;
}

export function isVisible(field: FieldSpec, values: FormValues): boolean {
  return field.visible?.(values) ?? true;
}

function readPath(source: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), source);
}

/** Defaults of every prior kind's parameters, so switching the kind shows sensible numbers. */
const priorDefaults: FormValues = { 'prior.scale': '1', 'prior.pi': '0.2', 'prior.sigma1': '1', 'prior.sigma2': '0.1', 'prior.learned': true };

/** The form's values for a config (a preset's): numbers as text, null as blank. */
export function valuesFromConfig(config: RunConfig): FormValues {
  const values: FormValues = { ...priorDefaults, datasetPath: '' };
  for (const field of fieldsFor(config.experiment)) {
    if (field.key === 'datasetPath') continue;
    const value = readPath(config, field.key);
    if (value === undefined) continue;
    values[field.key] = typeof value === 'boolean' ? value : value === null ? '' : String(value);
  }
  if (config.experiment === 'lenet5' && config.dataset.startsWith('idx:')) {
    values.dataset = 'idx';
    values.datasetPath = config.dataset.slice('idx:'.length);
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
    if (field.key === 'datasetPath') continue;
    if (field.key === 'dataset') {
      candidate.dataset = raw === 'idx' ? `idx:${String(values.datasetPath ?? '').trim()}` : raw;
      continue;
    }
    if (field.control === 'number') {
      const text = String(raw ?? '').trim();
      if (text === '' && field.blankIsNull) writePath(candidate, field.key, null);
      else if (text === '' || !Number.isFinite(Number(text))) issues[field.key] = text === '' ? 'a number is needed' : `“${text}” is not a number`;
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
      if (key === 'dataset') key = values.dataset === 'idx' ? 'datasetPath' : 'dataset';
      if (!visibleKeys.has(key)) key = '';
      if (!(key in issues)) issues[key] = key === '' ? `${issue.path.join('.') || 'config'}: ${describeIssue(issue)}` : describeIssue(issue);
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
  if (unique.length > MAX_REPEATED_SEEDS) return { error: `That is ${unique.length} seeds; at most ${MAX_REPEATED_SEEDS} at once.` };
  if (unique.some((seed) => seed > 2 ** 31 - 1)) return { error: 'A seed must be below 2³¹.' };
  return { seeds: unique };
}

/**
 * Fields every variational experiment's form shares, derived from the registries: the estimator
 * choices, each registered prior's select option and settings, the KL forms, the run's seed and
 * backend. A new prior or estimator shows up here without an edit.
 */
import { backendChoiceSchema } from '../contract/configParts';
import { estimatorSpec } from '../estimators/index';
import { klFormLabels, klFormSchema, priorKinds } from '../priors/kinds/index';
import { choices, type FieldSpec, type FormValues } from './fieldSpec';
import { methodFields, onlyForVariational } from './methodFields';

const priorIs = (kind: string) => (values: FormValues) => values['prior.kind'] === kind;

/** Form values of every prior family's settings, so switching the kind shows sensible numbers. */
export const priorFieldDefaults: FormValues = Object.assign({}, ...priorKinds.map((kind) => kind.fieldDefaults));

export const priorFields: FieldSpec[] = [
  {
    key: 'prior.kind',
    label: 'Prior',
    control: 'select',
    options: priorKinds.map((kind) => ({ value: kind.kind, label: kind.label })),
  },
  ...priorKinds.flatMap((kind) => kind.fields.map((field) => ({ ...field, visible: priorIs(kind.kind) }))),
  { key: 'kl', label: 'KL form', control: 'select', options: choices(klFormSchema.options, klFormLabels) },
];

export interface InferenceFieldsArgs {
  /** The estimators the experiment's schema allows. */
  estimators: readonly string[];
  /** Shown in a blank KL weight field ("1/batches"). */
  klPlaceholder: string;
  /** What a blank KL weight amounts to, for the values typed so far. */
  klHint: (values: FormValues, context: Parameters<NonNullable<FieldSpec['hint']>>[1]) => string;
}

/** How a variational experiment's posterior is trained: estimator, prior, KL form and weight, learning rate. */
export function inferenceFields(args: InferenceFieldsArgs, taskKind: 'classification' | 'regression'): FieldSpec[] {
  const variational: FieldSpec[] = [
    {
      key: 'estimator',
      label: 'Estimator',
      control: 'select',
      options: args.estimators.map((name) => ({ value: name, label: estimatorSpec(name).label })),
    },
    ...priorFields,
    {
      key: 'klWeight',
      label: 'KL weight',
      control: 'number',
      blankIsNull: true,
      placeholder: args.klPlaceholder,
      hint: (values, context) => {
        const typed = String(values.klWeight ?? '').trim();
        return typed !== '' ? `KL weight ${typed}` : args.klHint(values, context);
      },
    },
  ];
  return [
    ...methodFields(taskKind),
    ...onlyForVariational(variational),
    { key: 'learningRate', label: 'Learning rate', control: 'number' },
  ];
}

/** Last in every form. */
export const runFields: FieldSpec[] = [
  { key: 'seed', label: 'Seed', control: 'number' },
  { key: 'backend', label: 'Backend', control: 'select', options: choices(backendChoiceSchema.options) },
];

const regressionKlHint = () => 'blank: 1 / batches per epoch = 1 (full batch)';

/** The form of a full-batch 1-D regression (core/contract/regressionConfig.ts), blank KL weight = 1/batches. */
export function regressionFormFields(estimators: readonly string[]): FieldSpec[] {
  return [
    ...inferenceFields({ estimators, klPlaceholder: '1/batches', klHint: regressionKlHint }, 'regression'),
    { key: 'epochs', label: 'Epochs', control: 'number' },
    { key: 'samplesPerStep', label: 'Samples per step K', control: 'number' },
    { key: 'evalEvery', label: 'Snapshot every (epochs)', control: 'number' },
    { key: 'predictiveDraws', label: 'Predictive draws', control: 'number' },
    ...runFields,
  ];
}

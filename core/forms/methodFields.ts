/**
 * The run form's uncertainty-method fields, derived from the method registry: a Method select of
 * the trained methods that apply to the experiment's task kind, and each option field
 * (`members`, `dropout`, `weightDecay`) shown only for the methods whose options schema has it. A
 * new method, or a new option of one, shows up here without an edit of the form.
 */
import { methods, trainedMethodsFor, type MethodId, type TaskKind } from '../methods/index';
import type { FieldSpec, FormValues } from './fieldSpec';

/** Config field → the option key of the method's options schema it fills (core/contract/methodConfig). */
const optionOfField = { members: 'members', dropout: 'rate', weightDecay: 'weightDecay' } as const;

const labels: Record<keyof typeof optionOfField, string> = {
  members: 'Ensemble members M',
  dropout: 'Dropout rate',
  weightDecay: 'Weight decay',
};

/** The method the form's values name; a form from before methods existed trains VI. */
export function methodOfForm(values: FormValues): MethodId {
  const value = String(values.method ?? 'vi');
  return value in methods ? (value as MethodId) : 'vi';
}

/** Whether the method's options schema has `option` (its fields show only where they mean something). */
function methodHasOption(method: MethodId, option: string): boolean {
  const schema = methods[method].optionsSchema as { shape?: Record<string, unknown> };
  return schema.shape !== undefined && option in schema.shape;
}

export function methodFields(taskKind: TaskKind): FieldSpec[] {
  return [
    {
      key: 'method',
      label: 'Method',
      control: 'select',
      options: trainedMethodsFor(taskKind).map((method) => ({ value: method.id, label: method.label })),
      hint: (values) => methods[methodOfForm(values)].description,
    },
    ...(Object.keys(optionOfField) as (keyof typeof optionOfField)[]).map((field): FieldSpec => ({
      key: field,
      label: labels[field],
      control: 'number',
      visible: (values) => methodHasOption(methodOfForm(values), optionOfField[field]),
    })),
  ];
}

/** Shows a variational-only field (estimator, prior, KL) only when the form's method is VI. */
export function onlyForVariational(fields: FieldSpec[]): FieldSpec[] {
  return fields.map((field) => ({
    ...field,
    visible: (values: FormValues) => methodOfForm(values) === 'vi' && (field.visible?.(values) ?? true),
  }));
}

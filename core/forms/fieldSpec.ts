/**
 * The run form as data: which fields an experiment's form has, their controls and choices, what a
 * blank means. Declared by each experiment's descriptor (pure, no Vue, no DOM); the renderer's
 * form and its tests read it.
 */

export type FormValues = Record<string, string | boolean>;

export interface FieldOption {
  value: string;
  label: string;
}

/** What the host says about the experiment besides its fields (listExperiments). */
export interface FormContext {
  /** Training images per dataset name, where known before loading: the default KL weight is 1/N_train. */
  trainImages?: Readonly<Record<string, number>>;
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
  /** A form-only field: it has no config value of its own (another field's toConfig reads it). */
  formOnly?: boolean;
  /** The form values of this field's config value, where one value spans several fields (`idx:DIR`). */
  fromConfig?: (value: unknown) => FormValues;
  /** The config value of this field from the form's values, where it is not the field's text as is. */
  toConfig?: (values: FormValues) => unknown;
  /**
   * Where a schema issue on this field's config path is shown, when not on the field itself
   * (an invalid `idx:` folder is the folder field's fault).
   */
  issueKey?: (values: FormValues) => string;
}

export const choices = (values: readonly string[], labels: Readonly<Record<string, string>> = {}): FieldOption[] =>
  values.map((value) => ({ value, label: labels[value] ?? value }));

/**
 * What the host, the form, the CLI and captions know about a prior family without loading tfjs:
 * its configuration schema, labels and capabilities. The tfjs factory of each family is registered
 * beside it in ../factories.ts, which only the worker reaches.
 */
import type { z } from 'zod';
import type { FieldSpec } from '../../forms/fieldSpec';

export interface PriorKind<K extends string = string, C extends { kind: K } = { kind: K }> {
  kind: K;
  /** Schema of this family's settings, discriminated by `kind`. */
  schema: z.ZodType<C>;
  /** The choice in the run form's select and the CLI's help. */
  label: string;
  /** The family in a sentence ("the scale-mixture prior has no closed-form KL"). */
  noun: string;
  /** This prior's settings in a caption ("N(0, 1²) prior"). */
  describe(config: C): string;
  /**
   * KL(q‖p) has a closed form for a Normal posterior: without one (the scale mixture) only the
   * Monte Carlo KL is possible, and configurations choosing the analytic one are refused.
   */
  hasClosedFormKl: boolean;
  /** The family's own numeric/boolean settings in the run form, shown when it is chosen. */
  fields: readonly FieldSpec[];
  /** Form values of those fields before the user types, so switching the kind shows sensible numbers. */
  fieldDefaults: Readonly<Record<string, string | boolean>>;
}

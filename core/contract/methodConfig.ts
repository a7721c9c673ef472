/**
 * The uncertainty method a run trains with, as flat run-configuration fields shared by every
 * experiment (form, CLI and run.json name them the same way): `method` and its options `members`
 * (deep ensemble), `dropout` (MC dropout's rate), `weightDecay` (the point-weight methods) and,
 * for classification, `validationFraction` (the split post-hoc methods fit on, held out of
 * training). `vi` is the default, so every configuration written before methods existed keeps its
 * meaning. The combination is checked by the method registry's validateMethodCombination, in one
 * refinement, so a nonsensical one is refused before anything runs with the registry's message.
 */
import { z } from 'zod';
import { METHOD_IDS, methods, validateMethodCombination, type MethodId, type TaskKind } from '../methods/index';

const trainedMethodIds = METHOD_IDS.filter((id) => !methods[id].capabilities.postHoc);

export const methodConfigFields = {
  method: z.enum(METHOD_IDS, {
    error: (issue) =>
      `There is no method called "${String(issue.input)}"; a run trains with one of ${trainedMethodIds.join(', ')}.`,
  }),
  /** Range checks are the method's own (its options schema), so the messages say what is usual. */
  members: z.number().default(5),
  dropout: z.number().default(0.1),
  weightDecay: z.number().default(5e-4),
};

/** Field values before defaults are applied (the schema's `.default('vi')` is added per experiment). */
export interface MethodFields {
  method: MethodId;
  members: number;
  dropout: number;
  weightDecay: number;
  evalDraws?: number;
  predictiveDraws?: number;
}

/** The options object of the run's method, as the registry's options schema takes it. */
export function rawMethodOptions(config: MethodFields): Record<string, unknown> {
  const passes = config.evalDraws ?? config.predictiveDraws;
  switch (config.method) {
    case 'deterministic':
      return { weightDecay: config.weightDecay };
    case 'mcDropout':
      return { rate: config.dropout, weightDecay: config.weightDecay, ...(passes === undefined ? {} : { passes }) };
    case 'ensemble':
      return { members: config.members, weightDecay: config.weightDecay };
    default:
      return {};
  }
}

/** A superRefine that refuses a method the task kind cannot train with, or options out of range. */
export function requireValidMethod(taskKind: TaskKind) {
  return (config: MethodFields, ctx: z.RefinementCtx): void => {
    const result = validateMethodCombination({ method: config.method, taskKind, options: rawMethodOptions(config) });
    if (!result.ok) ctx.addIssue({ code: 'custom', path: ['method'], message: result.message });
  };
}

/** Whether the run's method trains variational layers (mean-field VI) rather than point weights. */
export function trainsPointWeights(method: MethodId): boolean {
  return method !== 'vi';
}

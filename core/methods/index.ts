/**
 * The registry of uncertainty methods (one line per plug-in) and the check that refuses
 * combinations that make no sense before anything runs. Pure: no tfjs.
 */
import type { z } from 'zod';
import { deterministicMethod } from './descriptors/deterministic';
import { ensembleMethod } from './descriptors/ensemble';
import { laplaceMethod } from './descriptors/laplace';
import { mcDropoutMethod } from './descriptors/mcDropout';
import { temperatureScalingMethod } from './descriptors/temperatureScaling';
import { viMethod } from './descriptors/vi';
import { METHOD_IDS, type LossPenalty, type MethodDescriptor, type MethodId, type TaskKind } from './method';

export * from './method';

export const methods = {
  vi: viMethod,
  deterministic: deterministicMethod,
  mcDropout: mcDropoutMethod,
  ensemble: ensembleMethod,
  temperatureScaling: temperatureScalingMethod,
  laplace: laplaceMethod,
} as const satisfies Record<MethodId, MethodDescriptor>;

export type MethodOptions<Id extends MethodId> = z.infer<(typeof methods)[Id]['optionsSchema']>;

export class MethodCombinationError extends Error {
  override name = 'MethodCombinationError';
}

export function isMethodId(value: string): value is MethodId {
  return (METHOD_IDS as readonly string[]).includes(value);
}

/** The method the CLI calls `name` (`mc-dropout`, `temperature`, …), or its id. */
export function methodFromCliName(name: string): MethodDescriptor {
  const found = Object.values(methods).find((method) => method.cliName === name || method.id === name);
  if (!found) {
    const known = Object.values(methods)
      .map((method) => method.cliName)
      .join(', ');
    throw new MethodCombinationError(`There is no method called "${name}"; the methods are ${known}.`);
  }
  return found;
}

/** The method a run's config names: `vi` for configs written before methods existed (or naming none known). */
export function runMethodId(method: unknown): MethodId {
  return typeof method === 'string' && isMethodId(method) ? method : 'vi';
}

/**
 * What a run's predictive averaged over, for figure titles: `T = 50 draws` (mean-field VI, and runs
 * written before methods existed), `M = 5 members`, `T = 50 passes`, `one pass`.
 */
export function describePasses(method: string | undefined, count: number): string {
  const descriptor: MethodDescriptor = methods[runMethodId(method)];
  return descriptor.describePasses?.(count) ?? `T = ${count} draws`;
}

/**
 * Whether a run's predictive has an epistemic part: a post-hoc method that adds none (temperature
 * scaling) keeps its base run's.
 */
export function hasEpistemicPart(method: MethodId, baseMethod?: MethodId): boolean {
  if (methods[method].capabilities.hasEpistemicPart) return true;
  return (
    methods[method].capabilities.postHoc &&
    baseMethod !== undefined &&
    methods[baseMethod].capabilities.hasEpistemicPart
  );
}

/**
 * The loss's second term for runs trained with these methods (`method` of their configs; older
 * configs without one are VI runs). Runs whose terms differ get one label naming each, so a
 * compare view of VI and a deterministic net does not call weight decay a KL.
 */
export function lossPenaltyOf(methodIds: readonly (string | undefined)[]): LossPenalty {
  const penalties: LossPenalty[] = [];
  for (const id of methodIds) {
    const penalty = methods[runMethodId(id)].penalty ?? methods.vi.penalty!;
    if (!penalties.some((known) => known.symbol === penalty.symbol)) penalties.push(penalty);
  }
  if (penalties.length <= 1) return penalties[0] ?? methods.vi.penalty!;
  const joined = (part: (penalty: LossPenalty) => string) => penalties.map(part).join(' or ');
  return {
    symbol: joined((penalty) => penalty.symbol),
    axis: `${joined((penalty) => penalty.symbol)} (unweighted)`,
    weightLabel: joined((penalty) => penalty.weightLabel),
  };
}

const trained = (): MethodDescriptor[] => Object.values(methods).filter((method) => !method.capabilities.postHoc);

/** What a task kind can use instead, for the refusal of a method that does not apply to it. */
function alternativesFor(taskKind: TaskKind): string {
  return Object.values(methods)
    .filter((method) => method.capabilities.appliesTo.includes(taskKind))
    .map((method) => method.label)
    .join(', ');
}

/** Why a base run's method does not fit a post-hoc method, and what would. */
const wrongBaseAdvice: Partial<Record<MethodId, (base: MethodDescriptor) => string>> = {
  laplace: (base) =>
    `Last-layer Laplace puts a Gaussian around the point weights of a deterministic run; a ${base.label} run has no single ` +
    `MAP to expand around${base.capabilities.hasEpistemicPart ? ' and already has its own weight uncertainty' : ''}. ` +
    'Train a deterministic run (method deterministic) and apply Laplace to it; temperature scaling works on any classification run.',
  temperatureScaling: (base) =>
    `Temperature scaling rescales the logits of a trained classifier; a ${base.label} run is already post-hoc. ` +
    'Apply temperature scaling to the run it was made from.',
};

export type MethodCombination = {
  method: MethodId | string;
  taskKind: TaskKind;
  /** The stored run's method, for a post-hoc method. */
  baseMethod?: MethodId | string;
  /**
   * The share of the training images the stored run held out of training, for a post-hoc method
   * (undefined: not known, not checked). 0 refuses a method that fits on that split.
   */
  baseValidationFraction?: number;
  /** Raw options (form, CLI, run.json); defaults are filled in. */
  options?: unknown;
};

export type MethodCombinationResult =
  { ok: true; method: MethodDescriptor; options: Record<string, unknown> } | { ok: false; message: string };

/**
 * Refuses what makes no sense — a method for a task kind it does not apply to (temperature scaling
 * of a regression run), a post-hoc method without a base run or on the wrong kind of run (Laplace
 * on a VI run, a fit on the validation split of a run that kept none), a trained method given a base run, options out of range (an ensemble of 1, a
 * dropout rate outside [0, 1)) — with a message that says what would work.
 */
export function validateMethodCombination(combination: MethodCombination): MethodCombinationResult {
  const { taskKind } = combination;
  if (!isMethodId(combination.method)) {
    const known = METHOD_IDS.join(', ');
    return { ok: false, message: `There is no method called "${combination.method}"; the methods are ${known}.` };
  }
  const method: MethodDescriptor = methods[combination.method];
  const { capabilities } = method;
  if (!capabilities.appliesTo.includes(taskKind)) {
    const reason =
      method.id === 'temperatureScaling'
        ? 'it rescales class probabilities, which a regression run does not have'
        : `it applies to ${capabilities.appliesTo.join(' and ')} only`;
    return {
      ok: false,
      message: `${method.label} cannot be used on a ${taskKind} run: ${reason}. For ${taskKind}, use one of: ${alternativesFor(taskKind)}.`,
    };
  }
  if (capabilities.postHoc) {
    const requires = capabilities.requiresMethod ?? [];
    const requiredLabels = requires.map((id) => methods[id].label).join(' or ');
    if (combination.baseMethod === undefined) {
      return {
        ok: false,
        message: `${method.label} is applied to a stored run after training; name a ${requiredLabels} run to apply it to.`,
      };
    }
    if (!isMethodId(combination.baseMethod)) {
      return {
        ok: false,
        message: `The base run's method "${combination.baseMethod}" is unknown; ${method.label} needs a ${requiredLabels} run.`,
      };
    }
    const base = methods[combination.baseMethod];
    if (!requires.includes(base.id)) {
      const advice = wrongBaseAdvice[method.id]?.(base) ?? `Apply it to a ${requiredLabels} run.`;
      return { ok: false, message: `${method.label} cannot be applied to a ${base.label} run. ${advice}` };
    }
    if (capabilities.fitsOnValidationSplit?.includes(taskKind) && combination.baseValidationFraction === 0) {
      return {
        ok: false,
        message:
          `${method.label} fits on a validation split held out of training, and this run trained on every training image, ` +
          'so fitting it on the held-out images would score it on what it was fitted to. Train the run again with a ' +
          "validation fraction above 0 (the form's field, or --validation-fraction; point-weight runs hold out 0.1 by default).",
      };
    }
  } else if (combination.baseMethod !== undefined) {
    const postHoc = Object.values(methods)
      .filter((candidate) => candidate.capabilities.postHoc)
      .map((candidate) => candidate.label)
      .join(' and ');
    return {
      ok: false,
      message: `${method.label} is a training method, not something applied to a stored run; only ${postHoc} are applied to runs. Start a new run with ${method.label} instead.`,
    };
  }
  const parsed = method.optionsSchema.safeParse(combination.options ?? {});
  if (!parsed.success) {
    const messages = parsed.error.issues.map((issue) => {
      const field = issue.path.join('.');
      return issue.code === 'unrecognized_keys' || (issue.code === 'invalid_type' && issue.path.length === 0)
        ? `The ${method.label} options are malformed: ${issue.message}.`
        : field && !/^[A-Z]/.test(issue.message)
          ? `${method.label} option "${field}": ${issue.message}.`
          : issue.message;
    });
    return { ok: false, message: messages.join(' ') };
  }
  return { ok: true, method, options: parsed.data as Record<string, unknown> };
}

/** validateMethodCombination that throws MethodCombinationError with the message. */
export function assertMethodCombination(combination: MethodCombination): {
  method: MethodDescriptor;
  options: Record<string, unknown>;
} {
  const result = validateMethodCombination(combination);
  if (!result.ok) throw new MethodCombinationError(result.message);
  return { method: result.method, options: result.options };
}

/** The methods a run of a task kind can be trained with (the form's choices). */
export function trainedMethodsFor(taskKind: TaskKind): MethodDescriptor[] {
  return trained().filter((method) => method.capabilities.appliesTo.includes(taskKind));
}

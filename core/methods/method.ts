/**
 * What every uncertainty method is, as data: an id, a label, a zod schema for its options and its
 * capabilities. Pure (no tfjs): host, renderer and CLI read these to build forms, refuse
 * nonsensical combinations before anything runs, and decide which scores apply (e.g. mutual
 * information needs an epistemic part). The worker-side code of a method lives next to it
 * (core/methods/ensemble.ts, temperatureScaling.ts, laplace.ts) and is never imported from here.
 */
import type { z } from 'zod';

export type TaskKind = 'classification' | 'regression';

export const METHOD_IDS = ['vi', 'deterministic', 'mcDropout', 'ensemble', 'temperatureScaling', 'laplace'] as const;
export type MethodId = (typeof METHOD_IDS)[number];

export interface MethodCapabilities {
  /**
   * The predictive averages over weights (draws, members, a Gaussian posterior), so mutual
   * information between prediction and weights is defined. A post-hoc method that adds none
   * (temperature scaling) keeps its base run's: see `hasEpistemicPart` in ./index.
   */
  hasEpistemicPart: boolean;
  /** Each prediction draws random weights or masks (T stochastic passes). */
  needsSampling: boolean;
  /** Applied to a stored run, not trained. */
  postHoc: boolean;
  /** The task kinds it makes sense for. */
  appliesTo: readonly TaskKind[];
  /** Post-hoc methods only: the methods a base run may have been trained with. */
  requiresMethod?: readonly MethodId[];
  /**
   * Post-hoc methods only: the task kinds on which the fit uses the validation split the base run
   * held out of training (never the held-out test set), so a run that trained on every image
   * cannot take it.
   */
  fitsOnValidationSplit?: readonly TaskKind[];
}

/**
 * The second term of a trained method's loss (`loss = NLL + weight · term`), as the metrics
 * events carry it under `kl` and `klWeight`: VI's ΣKL to the prior, a point method's ½Σw²
 * (weight decay). Figures, tables and reports label that series with it.
 */
export interface LossPenalty {
  /** Short name: legends and table rows (`ΣKL`, `½Σw²`). */
  symbol: string;
  /** The y axis title, with its unit. */
  axis: string;
  /** What the series `klWeight` is for this method (`KL weight`, `weight decay`). */
  weightLabel: string;
}

export interface MethodDescriptor<Schema extends z.ZodType = z.ZodType> {
  id: MethodId;
  /** The name the CLI accepts (`--method mc-dropout`, `npm run evaluate -- temperature`). */
  cliName: string;
  label: string;
  /** One sentence for the form and the report, with the paper. */
  description: string;
  optionsSchema: Schema;
  capabilities: MethodCapabilities;
  /** Trained methods only: the loss's second term. */
  penalty?: LossPenalty;
  /**
   * Point-weight methods: how the weights are trained, for captions (`deep ensemble of 5, weight
   * decay 0.0005`); mean-field VI leaves it out and is described by its prior and KL.
   */
  describeTraining?(options: z.infer<Schema>): string;
  /**
   * What the predictive averages over, for figure titles, given their count: mean-field VI leaves it
   * out (`T = 50 draws`); `M = 5 members`, `T = 50 passes`, `one pass`.
   */
  describePasses?(count: number): string;
}

/** Identity helper that keeps the schema's type (so `options` of each descriptor stay typed). */
export function defineMethod<Schema extends z.ZodType>(descriptor: MethodDescriptor<Schema>): MethodDescriptor<Schema> {
  return descriptor;
}

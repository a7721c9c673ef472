/**
 * What the host, the renderer, the CLI, figures, CSV and reports know about an experiment: pure
 * data and pure functions, no tfjs (the training code is the experiment's trainer, ./trainer.ts,
 * which only the worker imports). Everything that differs between experiments is asked of the
 * descriptor as a capability — its task kind, its metrics, its figures — never by its name.
 */
import type { z } from 'zod';
import type { FieldSpec } from '../forms/fieldSpec';
import type { MetricDefinition, TaskKind } from '../scoring/index';
import type { ResourceEstimate } from './resourceBudget';

export type { TaskKind };

export interface Preset<C = unknown> {
  name: string;
  description: string;
  config: C;
}

/** A 1-D regression: what its predictive-band figure needs to draw before the first snapshot. */
export interface RegressionTask {
  kind: 'regression';
  /** The figure's fixed axes, so the band does not make them jump between snapshots. */
  plot: { x: { min: number; max: number }; y: { min: number; max: number } };
  /** The noiseless function, drawn dashed; its legend label ("10 sin(2πx)"). */
  trueFunction: (x: number) => number;
  trueFunctionLabel: string;
}

/** An image classifier: the input it takes and the names of its classes. */
export interface ClassificationTask<C = unknown> {
  kind: 'classification';
  input: { imageSize: number; channels: number };
  /** Class names in label order for the run's dataset (as far as known before it is loaded). */
  classNames(config: C): readonly string[];
  /** The run's refusal threshold: no class's mean probability reaching it refuses the image. */
  refusalThreshold(config: C): number;
  /** Training images per dataset name, known before loading (the form's 1/N_train hint). */
  trainImages?: Readonly<Record<string, number>>;
  /** Whether the worker can rebuild the network from a checkpoint to classify dropped images (OOD). */
  classifiesDroppedImages: boolean;
  /**
   * The share of the training images a run of this configuration keeps out of training (0: none),
   * the split post-hoc fits use (see `fitsOnValidationSplit` of a method's capabilities).
   */
  heldOutValidation(config: C): number;
  /**
   * The user's IDX folder a configuration trains on (null for a bundled dataset): the host reads its
   * images files' headers before the run starts and refuses images that are not
   * `input.imageSize` square, so such a run fails with a clear message before anything is created.
   */
  idxFolder?(config: C): string | null;
}

export type TaskSpec<C = unknown> = RegressionTask | ClassificationTask<C>;

/**
 * Figures of a run by id (core/figures/runFigures.ts draws them), in rows of one or two. A figure
 * whose data the run does not have yet (a posterior before the first evaluation) is left out.
 */
export type FigureId =
  | 'loss'
  | 'predictive'
  | 'heldout'
  | 'ece'
  | 'reliability'
  | 'refusal'
  | 'posterior-mu'
  | 'posterior-sigma'
  | 'prior-parameters'
  | 'predictions';
export type FigureRowIds = readonly [FigureId] | readonly [FigureId, FigureId];

/** What a blank KL weight means for this experiment, said in each place that shows it. */
export interface KlWeightDefault<C> {
  /** In a caption ("KL weight 1/batches"). */
  caption(config: C): string;
  /** In a report's configuration table ("1/batches (default)"). */
  configValue: string;
  /** In the CLI's --kl-weight help ("1/batches per epoch"). */
  help: string;
}

/** A figure of merit the CLI prints with its pass mark (e.g. stdRatio ≥ 3). */
export interface AcceptanceCriterion {
  summaryKey: string;
  comparison: '≥' | '≤';
  value: number;
  /** Why it matters, in a few words ("wide outside the data"). */
  reason?: string;
  digits: number;
}

export interface ExperimentDescriptor<
  C extends { experiment: string; preset: string; seed: number } = any,
  S extends z.ZodType<C> = z.ZodType<C>,
> {
  name: C['experiment'];
  /** Long title: the run form's experiment choice. */
  title: string;
  /** Short title: report headers. */
  shortTitle: string;
  /** The config schema: an object with `experiment: z.literal(name)`, part of the contract's union. */
  configSchema: S;
  presets: readonly Preset<C>[];
  /** Optimizer steps a run of this configuration takes. */
  totalSteps(config: C): number;
  /**
   * The config field that sets the run's length ('epochs' for a full-batch regression, 'steps'):
   * the CLI's --epochs/--steps override it and the --json output reports it under this name.
   */
  lengthField: 'epochs' | 'steps';
  task: TaskSpec<C>;
  /** Every metric a run has, in the order tables and the CSV list them (a task kind's list). */
  metrics: readonly MetricDefinition[];
  /** The report's and the dashboard's figures, in the walkthrough's order. */
  figureRows: readonly FigureRowIds[];
  /** The run form's fields, in order. */
  formFields: readonly FieldSpec[];
  klWeightDefault: KlWeightDefault<C>;
  /** The experiment's own settings in a caption, around the method's part (../figures/caption.ts). */
  describeSettings(config: C, method: MethodSettingsText): string[];
  /** The summary's schema (one per task kind, core/contract/runSummary.ts). */
  summarySchema: z.ZodType;
  /**
   * What a run of this configuration costs in memory and event volume (./resourceBudget.ts): the
   * host and the worker refuse a configuration over budget before it runs.
   */
  estimateResources(config: C): ResourceEstimate;
  /**
   * The host paths a configuration names (a user's IDX folder). Only a caller that may name host
   * paths (the desktop app, the CLI) can start such a run; a browser-shell token holder cannot.
   */
  hostPaths?(config: C): string[];
  /** Figures of merit the CLI prints with their pass marks; absent: it prints every numeric summary field. */
  acceptance?: readonly AcceptanceCriterion[];
}

/**
 * The method's part of a caption. Mean-field VI: its gradient estimator, then the prior, the KL and
 * its weight, and Adam; a point-weight method (deterministic, MC dropout, deep ensemble) has no
 * estimator, prior or KL: its own description (with its weight decay), then Adam.
 */
export interface MethodSettingsText {
  /** VI's gradient estimator (flipout, local reparameterization, …); null for point weights. */
  estimator: string | null;
  /** How the weights are trained, then the optimizer. */
  training: string[];
}

/**
 * What an experiment's trainer provides to the worker (and to tests and benchmarks that train in
 * process). A trainer is pure: it trains on whatever tfjs backend is active, reports through
 * `hooks.emit`, and never touches files. Everything else about an experiment — schema, presets,
 * figures, metrics — is its descriptor (./descriptor.ts), which never loads tfjs.
 */
import type { ExperimentEvent } from '../contract/runEvent';
import type { DatasetSpec } from '../contract/configParts';
import type { RunSummary } from '../contract/runSummary';
import type { Dataset } from '../data/dataset';
import type { TrainingCheckpoint } from '../training/checkpoint';
import type { GradientPool, GradientPoolSpec } from '../training/gradientPool';
import type { RegressionProblem } from '../training/regressionTrainer';

export interface ExperimentHooks {
  /** Receives progress, metrics and evaluation events in step order. */
  emit(event: ExperimentEvent): void;
  /** Polled between steps; returning true ends the run early (state `stopped`). */
  shouldStop(): boolean;
  /** Awaited between steps so a long run yields to its message port; may be omitted in tests. */
  yieldToHost?(): Promise<void>;
  /**
   * Receives the full training state after every evaluation and when the run stops early, so the
   * host can store it and resume the run from it later. Awaited before training goes on.
   */
  checkpoint?(state: TrainingCheckpoint): Promise<void> | void;
  /** Training time between checkpoints taken without an evaluation (core/training/trainingLoop.ts; 60 s by default). */
  checkpointIntervalMs?: number;
}

/** What the process running an experiment provides: file-backed resources, read by the host. */
export interface ExperimentEnvironment {
  /** Reads and validates a dataset (`mnist`, `fashion-mnist`, `idx:DIR`). */
  loadDataset(spec: DatasetSpec): Promise<Dataset>;
  /** Helper threads for data-parallel training; absent where threads cannot be started (then workers is 1). */
  startGradientPool?(spec: GradientPoolSpec): Promise<GradientPool>;
}

export interface ExperimentTrainer<C extends { experiment: string } = any, R extends RunSummary = RunSummary> {
  /** The descriptor's name: the worker finds the trainer of a run by its config's `experiment`. */
  name: C['experiment'];
  /**
   * Trains and evaluates; resolves with the final figures of merit. With `resume` (a checkpoint of
   * a run of the same configuration) training continues after the checkpoint's step.
   */
  run(config: C, hooks: ExperimentHooks, environment: ExperimentEnvironment, resume?: TrainingCheckpoint): Promise<R>;
  /**
   * A regression experiment's data, grid, regions and standardization for a config (the same the
   * trainer fits), so post-hoc methods (last-layer Laplace) can rebuild the run's problem.
   */
  regressionProblem?(config: C): RegressionProblem;
}

export type { TrainingCheckpoint };

/**
 * The contract between a trainer and the helper threads of data-parallel training. Core declares
 * it; the worker-thread plumbing (electron/worker/gradientPool.ts) implements it. The trainer's own
 * thread computes the first slice of every batch (with the KL term) and the pool's helpers the
 * others, each on its own backend instance; every thread then updates its shard of the parameters
 * (training/sharedStepMemory.ts describes the step).
 */
import type { Lenet5Config } from '../experiments/lenet5/config';
import type { SharedStepMemory } from './sharedStepMemory';

export interface GradientPoolSpec {
  /** What every helper builds its network replica from (its initial values are overwritten). */
  network: Pick<Lenet5Config, 'estimator' | 'prior' | 'kl' | 'init' | 'convPadding'>;
  /** Helper threads (the trainer's own thread is not counted). */
  helpers: number;
  /** The tfjs backend the trainer runs on; every helper selects the same. */
  backend: string;
  /** Element counts of the trainable variables, in the trainer's order. */
  variableSizes: number[];
  /** The largest batch a step will have (the shared image buffer's size). */
  maxBatch: number;
}

export interface DrawRequest {
  images: Float32Array;
  count: number;
  imageShape: number[];
  classes: number;
  seed: number;
  firstDraw: number;
  draws: number;
}

export interface GradientPool {
  readonly helpers: number;
  /**
   * The memory every step shares with the helpers (training/sharedStepMemory.ts). The trainer
   * writes a step's batch and description into it before `startStep`.
   */
  readonly memory: SharedStepMemory;
  /** Publishes step `step` (1, 2, … since the pool started) to the helpers and wakes any that serve messages. */
  startStep(step: number): void;
  /** Why the pool can no longer train (a helper died or failed), once it cannot; otherwise undefined. */
  readonly failure: Error | undefined;
  /** Publishes the trainer's current parameter values; helpers read them at their next step or draw. */
  setParameters(values: Float32Array[]): void;
  /**
   * Monte Carlo probabilities of draws [firstDraw, firstDraw + draws) on helper `helper`, with the
   * published parameters (evaluation/monteCarlo.ts layout: draw-major [draw][image][class]).
   */
  drawProbabilities(helper: number, request: DrawRequest): Promise<Float32Array>;
  /** Ends the helper threads. */
  close(): Promise<void>;
}

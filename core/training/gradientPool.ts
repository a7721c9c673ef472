/**
 * The contract between a trainer and the helper threads of data-parallel training. Core declares
 * it; the worker-thread plumbing (electron/worker/gradientPool.ts) implements it. The trainer's own
 * thread computes the first slice of every batch (with the KL term) and the pool's helpers the
 * others, each on its own backend instance, against parameters the trainer publishes.
 */
import type { Lenet5Config } from '../experiments/lenet5/config';

export interface GradientPoolSpec {
  /** What every helper builds its network replica from (its initial values are overwritten). */
  network: Pick<Lenet5Config, 'estimator' | 'prior' | 'kl' | 'init'>;
  /** Helper threads (the trainer's own thread is not counted). */
  helpers: number;
  /** The tfjs backend the trainer runs on; every helper selects the same. */
  backend: string;
  /** Element counts of the trainable variables, in the trainer's order. */
  variableSizes: number[];
}

/** Where the training seed stream stands when a step starts: every slice replays it from there. */
export interface SeedStreamState {
  seed: number;
  salt: number;
  position: number;
}

export interface HelperSlice {
  /** The slice's pixels [rows, H, W, 1], row-major, and its labels. */
  images: Float32Array;
  labels: Int32Array;
  start: number;
  rows: number;
}

export interface HelperGradients {
  /** Per variable, the sum over the helpers' slices of their gradients (the KL excluded). */
  gradients: Float32Array[];
  /** Σ over helper slices of the NLL and of the correctly classified examples. */
  nllSum: number;
  correct: number;
  /** Milliseconds spent summing the helpers' gradient regions (on the trainer's thread). */
  sumMs?: number;
  /** The slowest helper's milliseconds from taking its request to replying (its own thread's time). */
  helperComputeMs?: number;
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
  /** Publishes the trainer's current parameter values; helpers read them at their next step. */
  setParameters(values: Float32Array[]): void;
  /** Gradients of the helper slices of a batch of `fullSize` examples; `slices[i]` goes to helper i. */
  gradients(
    slices: HelperSlice[],
    fullSize: number,
    seeds: SeedStreamState,
    klWeight: number,
  ): Promise<HelperGradients>;
  /**
   * Monte Carlo probabilities of draws [firstDraw, firstDraw + draws) on helper `helper`, with the
   * published parameters (evaluation/monteCarlo.ts layout: draw-major [draw][image][class]).
   */
  drawProbabilities(helper: number, request: DrawRequest): Promise<Float32Array>;
  /** Ends the helper threads. */
  close(): Promise<void>;
}

/**
 * A prior p(w) over the weights of one variational layer (one kernel or one bias). Layers receive a
 * `PriorFactory` and never know which family they hold (the TFP `make_prior_fn` pattern).
 */
import type * as tf from '@tensorflow/tfjs-core';

export interface Prior {
  /** Element-wise log p(w); `w` may carry leading sample dimensions. */
  logProb(w: tf.Tensor): tf.Tensor;
  /**
   * Element-wise closed-form KL(N(loc, scale²) ‖ p), or undefined when the family has none
   * (the scale mixture): the layer then falls back to the Monte Carlo form.
   */
  analyticKl?(loc: tf.Tensor, scale: tf.Tensor): tf.Tensor;
  /**
   * Optional: Σ analyticKl(loc, scale) as one scalar in fewer kernels (a hand-written gradient);
   * layers prefer it when present. Same value and gradient up to float32 rounding.
   */
  analyticKlSum?(loc: tf.Tensor, scale: tf.Tensor): tf.Scalar;
  /** Trainable variables of this prior; a prior shared by layers returns the same ones each time. */
  readonly trainableVariables: tf.Variable[];
  /** Current values of learned parameters, for the `posterior` event (empty when nothing is learned). */
  learnedParameters(): Promise<Record<string, number>>;
  dispose(): void;
}

export interface PriorFactoryArgs {
  /** Shape of the weight tensor the prior is over. */
  shape: number[];
  /** Layer and weight name, e.g. `dense1/kernel`, for variable names and messages. */
  name: string;
}

export type PriorFactory = (args: PriorFactoryArgs) => Prior;

export class PriorError extends Error {
  override name = 'PriorError';
}

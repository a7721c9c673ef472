/**
 * MC dropout (Gal & Ghahramani 2016, "Dropout as a Bayesian Approximation"): inverted dropout,
 *   y = x ∘ m / (1 − r),  m_i ~ Bernoulli(1 − r)  (tf.dropout),
 * kept on at prediction time so that T passes are T draws of an approximate posterior over the
 * weights that follow it. The mask comes from the pass's SeedStream, so a seed replays the same
 * masks. Rate 0 is exactly the identity (no mask is drawn, no seed consumed). In 'mean' mode —
 * the deterministic approximation of standard dropout, "weight averaging" — it is the identity too.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from './variationalLayer';

export class DropoutError extends Error {
  override name = 'DropoutError';
}

export class McDropout {
  readonly name: string;
  readonly rate: number;

  constructor(args: { name: string; rate: number }) {
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new DropoutError(
        `The dropout rate of "${args.name}" must be in [0, 1), found ${args.rate}; 0 keeps every unit.`,
      );
    }
    this.name = args.name;
    this.rate = args.rate;
  }

  /** A fresh mask per call (per example and unit); returns `input` itself when nothing is dropped. */
  apply(input: tf.Tensor, context: Pick<ForwardContext, 'mode' | 'seeds'>): tf.Tensor {
    if (this.rate === 0 || context.mode === 'mean') return input;
    return tf.dropout(input, this.rate, undefined, context.seeds.next());
  }
}

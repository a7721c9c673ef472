/**
 * Scale-mixture prior p(w) = π N(w; 0, σ1²) + (1 − π) N(w; 0, σ2²) (Blundell et al. 2015,
 * "Weight Uncertainty in Neural Networks", eq. 7). When learned, π, σ1 and σ2 are ONE set of
 * parameters shared by all layers, kept valid through unconstrained variables:
 * π = sigmoid(a), σi = softplus(bi).
 */
import * as tf from '@tensorflow/tfjs-core';
import { normalLogProb } from '../distributions/normal';
import { PriorError, type Prior, type PriorFactory } from './prior';
import { takeScalars } from '../engine/readback';
import { createVariable } from '../engine/variables';

export interface ScaleMixtureArgs {
  /** Weight of the first component, in (0, 1). Default 0.2 (the seed's). */
  pi: number;
  /** Scale of the first (wide) component. Default 1.0. */
  sigma1: number;
  /** Scale of the second (narrow) component. Default 0.1. */
  sigma2: number;
  /** Train π, σ1, σ2 with the posterior (shared by every layer built from this factory). */
  learned: boolean;
}

const inverseSoftplus = (y: number) => Math.log(Math.expm1(y));
const logit = (p: number) => Math.log(p / (1 - p));

/** Log-density of the mixture, element-wise, via log-sum-exp for stability. */
export function scaleMixtureLogProb(
  w: tf.Tensor,
  pi: tf.Tensor | number,
  sigma1: tf.Tensor | number,
  sigma2: tf.Tensor | number,
): tf.Tensor {
  return tf.tidy(() => {
    const first = tf.add(normalLogProb(w, 0, sigma1), tf.log(pi));
    const second = tf.add(normalLogProb(w, 0, sigma2), tf.log(tf.sub(1, pi)));
    const larger = tf.maximum(first, second);
    return tf.add(larger, tf.log(tf.add(tf.exp(tf.sub(first, larger)), tf.exp(tf.sub(second, larger)))));
  });
}

/** A factory whose priors all share one (π, σ1, σ2). Dispose the returned handle with the model. */
export function scaleMixturePrior(args: ScaleMixtureArgs): PriorFactory & { shared: Prior } {
  const { pi, sigma1, sigma2, learned } = args;
  if (!(pi > 0 && pi < 1)) throw new PriorError(`The mixture weight π must lie in (0, 1); found ${pi}.`);
  if (!(sigma1 > 0 && sigma2 > 0))
    throw new PriorError(`Mixture scales must be positive; found σ1 = ${sigma1}, σ2 = ${sigma2}.`);
  const piLogit = createVariable(tf.scalar(logit(pi)), learned, 'prior/pi_logit');
  const sigma1Raw = createVariable(tf.scalar(inverseSoftplus(sigma1)), learned, 'prior/sigma1_raw');
  const sigma2Raw = createVariable(tf.scalar(inverseSoftplus(sigma2)), learned, 'prior/sigma2_raw');
  const shared: Prior = {
    trainableVariables: learned ? [piLogit, sigma1Raw, sigma2Raw] : [],
    logProb: (w: tf.Tensor) =>
      tf.tidy(() => scaleMixtureLogProb(w, tf.sigmoid(piLogit), tf.softplus(sigma1Raw), tf.softplus(sigma2Raw))),
    learnedParameters: () =>
      takeScalars({ pi: tf.sigmoid(piLogit), sigma1: tf.softplus(sigma1Raw), sigma2: tf.softplus(sigma2Raw) }),
    dispose: () => {
      piLogit.dispose();
      sigma1Raw.dispose();
      sigma2Raw.dispose();
    },
  };
  // Layers dispose their priors; the shared one is disposed once, by whoever owns the factory.
  const perLayer: Prior = { ...shared, dispose: () => {} };
  return Object.assign((() => perLayer) as PriorFactory, { shared });
}

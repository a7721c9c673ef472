/**
 * N(m, 1) with a trainable mean m per weight, initialised at 0: TFP's `prior_trainable` from the
 * seed's code (a `VariableLayer` of locations under an `Independent(Normal(loc=t, scale=1))`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { normalKl, normalLogProb } from '../distributions/normal';
import { takeScalars } from '../engine/readback';
import { createVariable } from '../engine/variables';
import type { Prior, PriorFactory } from './prior';

export function trainableNormalPrior(): PriorFactory {
  return ({ shape, name }): Prior => {
    const loc = createVariable(tf.zeros(shape), true, `${name}/prior_loc`);
    return {
      trainableVariables: [loc],
      logProb: (w: tf.Tensor) => normalLogProb(w, loc, 1),
      analyticKl: (postLoc: tf.Tensor, postScale: tf.Tensor) => normalKl(postLoc, postScale, loc, 1),
      learnedParameters: () => takeScalars({ priorMeanAbs: tf.tidy(() => tf.mean(tf.abs(loc))) }),
      dispose: () => loc.dispose(),
    };
  };
}

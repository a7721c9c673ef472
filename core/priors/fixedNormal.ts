/** A fixed N(0, scale²) prior on every weight. */
import * as tf from '@tensorflow/tfjs-core';
import { centredNormalKlSum, normalKl, normalLogProb } from '../distributions/normal';
import { PriorError, type PriorFactory } from './prior';

export function fixedNormalPrior(scale = 1): PriorFactory {
  if (!(scale > 0)) throw new PriorError(`A Normal prior needs a positive scale; found ${scale}.`);
  return () => ({
    trainableVariables: [],
    logProb: (w: tf.Tensor) => normalLogProb(w, 0, scale),
    analyticKl: (loc: tf.Tensor, posteriorScale: tf.Tensor) => normalKl(loc, posteriorScale, 0, scale),
    analyticKlSum: (loc: tf.Tensor, posteriorScale: tf.Tensor) => centredNormalKlSum(loc, posteriorScale, scale),
    learnedParameters: async () => ({}),
    dispose: () => {},
  });
}

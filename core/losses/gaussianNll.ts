/**
 * Negative log-likelihood of a Gaussian with known noise σ, summed over the data:
 * Σ_n ½((y_n − f(x_n))/σ)² + log σ + ½ log 2π. With predictions [S, N, 1] from S weight draws it is
 * the Monte Carlo estimate of the expected NLL, (1/S) Σ_s Σ_n (…), of the ELBO (Blundell et al. 2015).
 */
import * as tf from '@tensorflow/tfjs-core';
import { normalLogProb } from '../distributions/normal';

export function gaussianNll(targets: tf.Tensor, predictions: tf.Tensor, noiseStd: number): tf.Scalar {
  return tf.tidy(() => {
    const logLikelihood = normalLogProb(targets, predictions, noiseStd);
    const sampleCount = predictions.rank === 3 ? predictions.shape[0] : 1;
    return tf.div(tf.neg(tf.sum(logLikelihood)), sampleCount) as tf.Scalar;
  });
}

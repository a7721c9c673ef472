/**
 * Training losses of the point-weight methods (deterministic, MC dropout, deep ensemble), on the
 * scale the VI loss uses (per-example mean NLL plus a complexity term):
 *
 *   MAP / MC dropout:  L = (1/B) Σ_b −log p(y_b | x_b, θ) + weightDecay · ½ Σ θ²
 *     (MC dropout: one mask per step, the Monte Carlo objective of Gal & Ghahramani 2016)
 *   deep ensemble:     L = Σ_m L_m — members share nothing, so each gets its own gradient; the
 *                      per-member NLLs are returned for per-member curves.
 *
 * Classification: softmax cross-entropy. Regression: a Gaussian with known noise σ (the
 * deterministic and dropout nets, as the VI sinusoid), or each ensemble member's own mean and
 * variance (Lakshminarayanan et al. 2017, core/methods/ensemble).
 */
import * as tf from '@tensorflow/tfjs-core';
import { normalLogProb } from '../distributions/normal';
import type { PointForwardContext, PointSequential } from '../models/pointSequential';
import { gaussianHead, heteroscedasticGaussianNll, type DeepEnsemble } from './ensemble';

/** A type alias (not an interface) so tf.tidy accepts it. */
export type PointLoss = {
  /** What the optimizer minimises. */
  loss: tf.Scalar;
  /** Mean NLL per member [M] (one entry for a single network). */
  memberNll: tf.Tensor1D;
};

/** Mean softmax cross-entropy of logits [B, C] against one-hot labels [B, C]. */
export function softmaxCrossEntropy(logits: tf.Tensor, oneHotLabels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(oneHotLabels, tf.logSoftmax(logits)), -1))) as tf.Scalar);
}

/** Mean Gaussian NLL of predictions [B, 1] or [B] with known noise σ. */
export function knownNoiseGaussianNll(targets: tf.Tensor, predictions: tf.Tensor, noiseStd: number): tf.Scalar {
  return tf.tidy(
    () =>
      tf.neg(tf.mean(normalLogProb(tf.reshape(targets, [-1]), tf.reshape(predictions, [-1]), noiseStd))) as tf.Scalar,
  );
}

function single(nll: tf.Scalar, network: PointSequential, weightDecay: number): PointLoss {
  return tf.tidy(() => ({
    loss: tf.add(nll, tf.mul(network.l2Penalty(), weightDecay)) as tf.Scalar,
    memberNll: tf.reshape(nll, [1]) as tf.Tensor1D,
  }));
}

export function classificationMapLoss(
  network: PointSequential,
  images: tf.Tensor,
  oneHotLabels: tf.Tensor,
  weightDecay: number,
  context: PointForwardContext,
): PointLoss {
  return tf.tidy(() => single(softmaxCrossEntropy(network.apply(images, context), oneHotLabels), network, weightDecay));
}

export function regressionMapLoss(
  network: PointSequential,
  x: tf.Tensor,
  y: tf.Tensor,
  noiseStd: number,
  weightDecay: number,
  context: PointForwardContext,
): PointLoss {
  return tf.tidy(() => single(knownNoiseGaussianNll(y, network.apply(x, context), noiseStd), network, weightDecay));
}

function ensembleLoss(
  ensemble: DeepEnsemble,
  memberNll: (member: PointSequential) => tf.Scalar,
  weightDecay: number,
): PointLoss {
  return tf.tidy(() => {
    const nll = tf.stack(ensemble.members.map(memberNll)) as tf.Tensor1D;
    return { loss: tf.add(tf.sum(nll), tf.mul(ensemble.l2Penalty(), weightDecay)) as tf.Scalar, memberNll: nll };
  });
}

export function ensembleClassificationLoss(
  ensemble: DeepEnsemble,
  images: tf.Tensor,
  oneHotLabels: tf.Tensor,
  weightDecay: number,
  context: PointForwardContext,
): PointLoss {
  return ensembleLoss(
    ensemble,
    (member) => softmaxCrossEntropy(member.apply(images, context), oneHotLabels),
    weightDecay,
  );
}

/** Members output [B, 2] (mean, raw variance); targets [B] or [B, 1]. */
export function ensembleRegressionLoss(
  ensemble: DeepEnsemble,
  x: tf.Tensor,
  y: tf.Tensor,
  weightDecay: number,
  context: PointForwardContext,
): PointLoss {
  return ensembleLoss(
    ensemble,
    (member) => {
      const { mean, variance } = gaussianHead(member.apply(x, context));
      return heteroscedasticGaussianNll(tf.reshape(y, mean.shape), mean, variance);
    },
    weightDecay,
  );
}

/**
 * Data-parallel training, the pure part: the gradient of one slice of a classification batch such
 * that the slices' gradients SUM to the gradient of the whole batch's loss
 * `mean NLL + klWeight · ΣKL`. Each slice's NLL sum is divided by the full batch size, and the KL
 * term is added by exactly one slice (`includeKl`), so it is counted once per step. With the same
 * weights, the same seed stream position and `batchSlice` set, every slice draws the noise one
 * process would draw for its rows (layers/variationalLayer.ts perExampleNoise).
 */
import * as tf from '@tensorflow/tfjs-core';
import { CLASS_COUNT } from '../data/dataset';
import type { BatchSlice } from '../layers/variationalLayer';
import type { VariationalSequential } from '../models/variationalSequential';
import type { SeedStream } from '../random/seedStream';

export interface SliceGradientArgs {
  network: VariationalSequential;
  /** The slice's images [rows, H, W, C] and integer labels [rows]. */
  images: tf.Tensor4D;
  labels: tf.Tensor1D;
  slice: BatchSlice;
  /** The training stream, at the position the step starts from (each slice replays it). */
  seeds: SeedStream;
  klWeight: number;
  /** True for exactly one slice of a step. */
  includeKl: boolean;
  /** Gradients are returned in this order; a variable the slice's loss does not reach gets zeros. */
  variables: tf.Variable[];
}

export interface SliceGradients {
  gradients: tf.Tensor[];
  /** This slice's share of the loss (its NLL sum / full batch size, plus the weighted KL if included). */
  loss: tf.Scalar;
  nllSum: tf.Scalar;
  /** ΣKL of the pass (0 unless includeKl). */
  kl: tf.Scalar;
  correct: tf.Scalar;
}

/** Caller disposes every returned tensor. */
export function classifierSliceGradients(args: SliceGradientArgs): SliceGradients {
  const { network, images, labels, slice, seeds, klWeight, includeKl, variables } = args;
  let parts: { nllSum: tf.Scalar; kl: tf.Scalar; correct: tf.Scalar } | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const { output: logits, kl } = network.apply(images, {
      mode: 'sample',
      seeds,
      computeKl: includeKl,
      batchSlice: slice,
    });
    const oneHot = tf.oneHot(labels, CLASS_COUNT);
    const nllSum = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)))) as tf.Scalar;
    const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar;
    parts = { nllSum: tf.keep(nllSum), kl: tf.keep(kl), correct: tf.keep(correct) };
    const nllShare = tf.div(nllSum, slice.fullSize);
    return (includeKl ? tf.add(nllShare, tf.mul(kl, klWeight)) : nllShare) as tf.Scalar;
  }, variables);
  const gradients = variables.map((variable) => grads[variable.name] ?? tf.zerosLike(variable));
  return { gradients, loss: value, ...parts! };
}

/**
 * A plain (non-Bayesian) LeNet5 for timing the engine: conv(6, 5×5, SAME, relu) → maxpool 2 →
 * conv(16, 5×5, VALID, relu) → maxpool 2 → conv(120, 5×5, VALID, relu) → dense(84, relu) → dense(10),
 * softmax cross-entropy, Adam. Benchmark-only; the Bayesian model lives in core.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface PlainLenet5 {
  /** One Adam step on a batch; returns the loss. */
  trainStep(images: tf.Tensor4D, oneHotLabels: tf.Tensor2D): number;
  dispose(): void;
}

export function createPlainLenet5(seed: number, learningRate = 0.001): PlainLenet5 {
  let nextSeed = seed;
  // Inside tidy: tf.variable keeps its initial value alive as a separate tensor otherwise.
  const weight = (shape: number[], fanIn: number) =>
    tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', nextSeed++)));
  const bias = (size: number) => tf.tidy(() => tf.variable(tf.zeros([size])));
  const params = {
    conv1: weight([5, 5, 1, 6], 25),
    conv1Bias: bias(6),
    conv2: weight([5, 5, 6, 16], 150),
    conv2Bias: bias(16),
    conv3: weight([5, 5, 16, 120], 400),
    conv3Bias: bias(120),
    dense1: weight([120, 84], 120),
    dense1Bias: bias(84),
    dense2: weight([84, 10], 84),
    dense2Bias: bias(10),
  };
  const optimizer = tf.train.adam(learningRate);

  const logits = (images: tf.Tensor4D): tf.Tensor2D => {
    const c1 = tf.relu(tf.add(tf.conv2d(images, params.conv1 as tf.Variable<tf.Rank.R4>, 1, 'same'), params.conv1Bias));
    const p1 = tf.maxPool(c1 as tf.Tensor4D, 2, 2, 'valid');
    const c2 = tf.relu(tf.add(tf.conv2d(p1, params.conv2 as tf.Variable<tf.Rank.R4>, 1, 'valid'), params.conv2Bias));
    const p2 = tf.maxPool(c2 as tf.Tensor4D, 2, 2, 'valid');
    const c3 = tf.relu(tf.add(tf.conv2d(p2, params.conv3 as tf.Variable<tf.Rank.R4>, 1, 'valid'), params.conv3Bias));
    const flat = tf.reshape(c3, [images.shape[0], 120]);
    const d1 = tf.relu(tf.add(tf.matMul(flat, params.dense1), params.dense1Bias));
    return tf.add(tf.matMul(d1, params.dense2), params.dense2Bias) as tf.Tensor2D;
  };

  return {
    trainStep(images, oneHotLabels) {
      const loss = optimizer.minimize(
        () => tf.mean(tf.neg(tf.sum(tf.mul(oneHotLabels, tf.logSoftmax(logits(images))), 1))) as tf.Scalar,
        true,
      );
      const value = loss ? loss.dataSync()[0] : Number.NaN;
      loss?.dispose();
      return value;
    },
    dispose() {
      optimizer.dispose();
      tf.dispose(Object.values(params));
    },
  };
}

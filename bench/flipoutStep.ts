/**
 * The one-thread Flipout LeNet5 training step as the trainer takes it (minimize mean NLL + w·ΣKL,
 * then one Adam step), shared by the benches that time it against its data-parallel slices.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch } from '../core/data/batches';
import { CLASS_COUNT, IMAGE_SIZE } from '../core/data/dataset';
import type { VariationalSequential } from '../core/models/variationalSequential';
import type { SeedStream } from '../core/random/seedStream';

export interface OneThreadStep {
  network: VariationalSequential;
  optimizer: tf.Optimizer;
  variables: tf.Variable[];
  batch: ImageBatch;
  seeds: SeedStream;
  klWeight: number;
}

/** One step; returns the loss (the caller reads it back and disposes it). */
export function oneThreadStep({ network, optimizer, variables, batch, seeds, klWeight }: OneThreadStep): tf.Scalar {
  const images = tf.tensor4d(batch.images, [batch.size, IMAGE_SIZE, IMAGE_SIZE, 1]);
  const labels = tf.tensor1d(batch.labels, 'int32');
  const loss = optimizer.minimize(
    () => {
      const { output, kl } = network.apply(images, { mode: 'sample', seeds });
      const nll = tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, CLASS_COUNT), tf.logSoftmax(output)), 1)));
      return tf.add(nll, tf.mul(kl, klWeight)) as tf.Scalar;
    },
    true,
    variables,
  )!;
  tf.dispose([images, labels]);
  return loss;
}

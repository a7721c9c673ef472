/**
 * Data-parallel exactness: the gradients of a batch split over workers, summed, equal the gradient
 * of the one-process loss `mean NLL + klWeight · ΣKL` on the same weights and the same noise (the
 * same seed stream position), the KL counted once; for every estimator and both KL forms.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { lenet5ConfigSchema } from '../../../core/contract/runConfig';
import { CLASS_COUNT, IMAGE_SIZE } from '../../../core/data/dataset';
import { lenet5Network } from '../../../core/experiments/lenet5/network';
import { SeedStream } from '../../../core/random/seedStream';
import { classifierSliceGradients } from '../../../core/training/sliceGradients';
import { useCpuBackend } from '../../fixtures/testBackend';

beforeAll(useCpuBackend);

const BATCH = 10;
const KL_WEIGHT = 1 / 600;

function batchOf(seed: number): { images: tf.Tensor4D; labels: tf.Tensor1D } {
  return {
    images: tf.randomUniform([BATCH, IMAGE_SIZE, IMAGE_SIZE, 1], 0, 1, 'float32', seed) as tf.Tensor4D,
    labels: tf.tensor1d(
      Array.from({ length: BATCH }, (_, i) => (i * 7 + seed) % CLASS_COUNT),
      'int32',
    ),
  };
}

/** Largest |a − b| relative to the largest |b| of each gradient, over all variables. */
function worstRelativeError(a: tf.Tensor[], b: tf.Tensor[]): number {
  return Math.max(
    ...a.map((tensor, i) =>
      tf.tidy(() => {
        const scale = tf.max(tf.abs(b[i])).dataSync()[0];
        return tf.max(tf.abs(tf.sub(tensor, b[i]))).dataSync()[0] / Math.max(scale, 1e-12);
      }),
    ),
  );
}

describe.each([
  ['flipout', 'analytic'],
  ['flipout', 'monteCarlo'],
  ['local', 'analytic'],
  ['reparameterization', 'monteCarlo'],
] as const)('classifierSliceGradients (%s, %s KL)', (estimator, kl) => {
  it('sums over 2 and 3 slices to the one-process gradient, KL once', () => {
    const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', estimator, kl });
    const network = lenet5Network(config, new SeedStream(11));
    const variables = network.trainableVariables;
    const { images, labels } = batchOf(5);
    const stepStart = new SeedStream(21, 2);
    stepStart.seek(37); // mid-run: the step starts wherever the training stream is
    const atStep = () => {
      const stream = new SeedStream(stepStart.seed, stepStart.salt);
      stream.seek(stepStart.position);
      return stream;
    };
    const before = tf.memory().numTensors;

    // The one-process loss exactly as the LeNet5 trainer writes it.
    const reference = tf.variableGrads(() => {
      const { output: logits, kl: klSum } = network.apply(images, { mode: 'sample', seeds: atStep() });
      const nll = tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, CLASS_COUNT), tf.logSoftmax(logits)), 1)));
      return tf.add(nll, tf.mul(klSum, KL_WEIGHT)) as tf.Scalar;
    }, variables);
    const referenceGrads = variables.map((v) => reference.grads[v.name]);

    for (const bounds of [
      [0, 4, BATCH],
      [0, 3, 7, BATCH],
    ]) {
      const parts = bounds.slice(0, -1).map((start, i) => {
        const rows = bounds[i + 1] - start;
        const sliceImages = tf.slice(images, start, rows);
        const sliceLabels = tf.slice(labels, start, rows);
        const result = classifierSliceGradients({
          network,
          images: sliceImages,
          labels: sliceLabels,
          slice: { start, fullSize: BATCH },
          seeds: atStep(),
          klWeight: KL_WEIGHT,
          includeKl: i === 0,
          variables,
        });
        sliceImages.dispose();
        sliceLabels.dispose();
        return result;
      });
      const summed = variables.map((_, v) => tf.addN(parts.map((part) => part.gradients[v])));
      expect(worstRelativeError(summed, referenceGrads)).toBeLessThan(1e-4);
      const loss = parts.reduce((total, part) => total + part.loss.dataSync()[0], 0);
      expect(loss).toBeCloseTo(reference.value.dataSync()[0], 4);
      // KL once: only the first slice reports it.
      expect(parts.slice(1).every((part) => part.kl.dataSync()[0] === 0)).toBe(true);
      expect(parts[0].kl.dataSync()[0]).toBeGreaterThan(0);
      summed.forEach((t) => t.dispose());
      for (const part of parts) tf.dispose([...part.gradients, part.loss, part.nllSum, part.kl, part.correct]);
    }
    tf.dispose([...referenceGrads, reference.value]);
    expect(tf.memory().numTensors).toBe(before);
    images.dispose();
    labels.dispose();
    network.dispose();
  });
});

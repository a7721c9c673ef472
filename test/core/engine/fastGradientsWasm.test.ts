/**
 * The fast gradients on the wasm backend (where they matter: it has no Conv2DBackpropFilter) agree
 * with the stock gradients computed on cpu, at LeNet5 layer sizes (batch 16).
 */
import * as tf from '@tensorflow/tfjs-core';
import { setCpuBackend } from '../../../core/engine/cpuBackend';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { registerFastGradients, restoreStockGradients, restoreWasmIdentity } from '../../../core/engine/fastGradients';

type Shape4D = [number, number, number, number];
const layers: { name: string; x: Shape4D; w: Shape4D; pad: 'same' | 'valid' }[] = [
  { name: '28×28×1 → 6, SAME 5×5', x: [16, 28, 28, 1], w: [5, 5, 1, 6], pad: 'same' },
  { name: '14×14×6 → 16, VALID 5×5', x: [16, 14, 14, 6], w: [5, 5, 6, 16], pad: 'valid' },
  { name: '5×5×16 → 120, VALID 5×5', x: [16, 5, 5, 16], w: [5, 5, 16, 120], pad: 'valid' },
];

/** dx and dW of sum(conv2d(x, w) · r) on the current backend, downloaded. */
function gradients(layer: (typeof layers)[number]): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomNormal(layer.x, 0, 1, 'float32', 1);
    const w = tf.randomNormal(layer.w, 0, 0.2, 'float32', 2);
    const outShape = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, layer.pad).shape;
    const cotangent = tf.randomNormal(outShape, 0, 1, 'float32', 3);
    const loss = (xs: tf.Tensor, ws: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, 1, layer.pad), cotangent));
    return tf
      .grads(loss)([x, w])
      .map((g) => g.dataSync() as Float32Array);
  });
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i += 1) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return maxDiff / scale;
}

describe('fast gradients on wasm', () => {
  afterAll(async () => {
    restoreStockGradients();
    await setCpuBackend();
  });

  for (const layer of layers) {
    it(`match the cpu stock gradients for ${layer.name}`, async () => {
      restoreStockGradients();
      await setCpuBackend();
      const [stockDx, stockDw] = gradients(layer);
      registerFastGradients();
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const [fastDx, fastDw] = gradients(layer);
      expect(tf.memory().numTensors).toBe(before);
      expect(relativeError(fastDx, stockDx)).toBeLessThan(1e-5);
      expect(relativeError(fastDw, stockDw)).toBeLessThan(1e-5);
    });
  }

  it('shares the data of a cloned tensor on wasm instead of copying it, and gradients come out bit for bit the same', async () => {
    await tf.setBackend('wasm');
    registerFastGradients();
    const x = tf.tensor1d([1, 2, 3]);
    const copy = tf.clone(x);
    // One buffer for both, and each stays readable after the other is disposed.
    expect(copy.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3]);
    copy.dispose();

    // A conv → relu → max pool → dense loss, whose backward pass saves (clones) a dozen tensors.
    const gradientsOf = () =>
      tf.tidy(() => {
        const images = tf.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 1);
        const filter = tf.randomNormal([5, 5, 1, 6], 0, 0.2, 'float32', 2);
        const dense = tf.randomNormal([14 * 14 * 6, 10], 0, 0.05, 'float32', 3);
        const loss = (w: tf.Tensor, d: tf.Tensor) =>
          tf.sum(
            tf.square(
              tf.matMul(
                tf.reshape(
                  tf.maxPool(tf.relu(tf.conv2d(images as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')), 2, 2, 'valid'),
                  [8, -1],
                ),
                d,
              ),
            ),
          );
        return tf
          .grads(loss)([filter, dense])
          .map((g) => g.dataSync() as Float32Array);
      });
    const tensors = tf.memory().numTensors;
    const shared = gradientsOf();
    expect(tf.memory().numTensors).toBe(tensors);
    restoreWasmIdentity();
    const copied = gradientsOf();
    registerFastGradients();
    expect(shared.map((g) => Array.from(g))).toEqual(copied.map((g) => Array.from(g)));
  });
});

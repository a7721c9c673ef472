import * as tf from '@tensorflow/tfjs-core';
import { setCpuBackend } from '../../../core/engine/cpuBackend';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  conv2dFilterGradient,
  conv2dInputGradient,
  fastGradientsRegistered,
  registerFastGradients,
  restoreStockGradients,
} from '../../../core/engine/fastGradients';

/** max |a − b| / max(|b|, 1e-3 · max|b|): relative to the gradient's scale. */
function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  const a = actual.dataSync();
  const b = expected.dataSync();
  expect(actual.shape).toEqual(expected.shape);
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i += 1) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return maxDiff / scale;
}

/** Gradients of sum(conv2d(x, w) · r) w.r.t. x and w, r a fixed random cotangent. */
function convGradients(x: tf.Tensor4D, w: tf.Tensor4D, pad: 'same' | 'valid', strides: 1 | 2 = 1): tf.Tensor[] {
  return tf.tidy(() => {
    const probe = tf.conv2d(x, w, strides, pad);
    const cotangent = tf.randomNormal(probe.shape, 0, 1, 'float32', 7);
    const loss = (xs: tf.Tensor4D, ws: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(xs, ws, strides, pad), cotangent));
    return tf.grads(loss as (...args: tf.Tensor[]) => tf.Tensor)([x, w]);
  });
}

/** LeNet5 sizes (batch reduced to 8 to keep the cpu test quick). */
type Shape4D = [number, number, number, number];
const lenetCases: { name: string; x: Shape4D; w: Shape4D; pad: 'same' | 'valid' }[] = [
  { name: '28×28×1 → 6, SAME 5×5', x: [8, 28, 28, 1], w: [5, 5, 1, 6], pad: 'same' },
  { name: '14×14×6 → 16, VALID 5×5', x: [8, 14, 14, 6], w: [5, 5, 6, 16], pad: 'valid' },
  { name: '5×5×16 → 120, VALID 5×5', x: [8, 5, 5, 16], w: [5, 5, 16, 120], pad: 'valid' },
  { name: 'even kernel 4×4, SAME', x: [3, 9, 7, 2], w: [4, 4, 2, 3], pad: 'same' },
];

describe('fast gradients', () => {
  beforeAll(async () => {
    await setCpuBackend();
  });
  afterAll(() => restoreStockGradients());

  it('is idempotent and can be undone', () => {
    registerFastGradients();
    registerFastGradients();
    expect(fastGradientsRegistered()).toBe(true);
    restoreStockGradients();
    expect(fastGradientsRegistered()).toBe(false);
  });

  for (const testCase of lenetCases) {
    it(`matches the stock Conv2D gradients for ${testCase.name}`, () => {
      const x = tf.randomNormal(testCase.x, 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal(testCase.w, 0, 0.2, 'float32', 2) as tf.Tensor4D;
      restoreStockGradients();
      const [stockDx, stockDw] = convGradients(x, w, testCase.pad);
      registerFastGradients();
      const before = tf.memory().numTensors;
      const [fastDx, fastDw] = convGradients(x, w, testCase.pad);
      expect(tf.memory().numTensors).toBe(before + 2);
      restoreStockGradients();
      expect(relativeError(fastDx, stockDx)).toBeLessThan(1e-5);
      expect(relativeError(fastDw, stockDw)).toBeLessThan(1e-5);
      tf.dispose([x, w, stockDx, stockDw, fastDx, fastDw]);
    });
  }

  it('computes the filter and input gradients directly, as the backprop kernels do', () => {
    const x = tf.randomNormal([4, 14, 14, 6], 0, 1, 'float32', 3) as tf.Tensor4D;
    const w = tf.randomNormal([5, 5, 6, 16], 0, 1, 'float32', 4) as tf.Tensor4D;
    const dy = tf.randomNormal([4, 10, 10, 16], 0, 1, 'float32', 5) as tf.Tensor4D;
    const attrs = { strides: 1, pad: 'valid' as const, dataFormat: 'NHWC' as const, dilations: 1 };
    const dw = conv2dFilterGradient(x, dy, w.shape, attrs);
    const dx = conv2dInputGradient(x.shape, dy, w, attrs);
    const stockDw = tf
      .engine()
      .runKernel(
        tf.Conv2DBackpropFilter,
        { x, dy },
        { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: w.shape },
      ) as tf.Tensor;
    const stockDx = tf
      .engine()
      .runKernel(
        tf.Conv2DBackpropInput,
        { dy, filter: w },
        { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: x.shape },
      ) as tf.Tensor;
    expect(relativeError(dw, stockDw)).toBeLessThan(1e-5);
    expect(relativeError(dx as tf.Tensor, stockDx)).toBeLessThan(1e-5);
    tf.dispose([x, w, dy, dw, dx as tf.Tensor, stockDw, stockDx]);
  });

  it('falls back to the stock gradient for stride 2', () => {
    const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    restoreStockGradients();
    const stock = convGradients(x, w, 'same', 2);
    registerFastGradients();
    const fast = convGradients(x, w, 'same', 2);
    restoreStockGradients();
    expect(relativeError(fast[0], stock[0])).toBe(0);
    expect(relativeError(fast[1], stock[1])).toBe(0);
    tf.dispose([x, w, ...stock, ...fast]);
  });

  const flagCombos = [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const;
  for (const [transposeA, transposeB] of flagCombos) {
    for (const batchShape of [[], [3]] as number[][]) {
      it(`matches the stock matMul gradient with transposeA=${transposeA}, transposeB=${transposeB}, batch [${batchShape}]`, () => {
        const [m, k, n] = [5, 7, 4];
        const a = tf.randomNormal([...batchShape, ...(transposeA ? [k, m] : [m, k])], 0, 1, 'float32', 11);
        const b = tf.randomNormal([...batchShape, ...(transposeB ? [n, k] : [k, n])], 0, 1, 'float32', 12);
        const cotangent = tf.randomNormal([...batchShape, m, n], 0, 1, 'float32', 13);
        const loss = (as: tf.Tensor, bs: tf.Tensor) =>
          tf.sum(tf.mul(tf.matMul(as, bs, transposeA, transposeB), cotangent));
        restoreStockGradients();
        const stock = tf.grads(loss)([a, b]);
        registerFastGradients();
        const fast = tf.grads(loss)([a, b]);
        restoreStockGradients();
        expect(relativeError(fast[0], stock[0])).toBeLessThan(1e-5);
        expect(relativeError(fast[1], stock[1])).toBeLessThan(1e-5);
        tf.dispose([a, b, cotangent, ...stock, ...fast]);
      });
    }
  }
});

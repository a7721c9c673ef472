/**
 * Times, at LeNet5 sizes (batch 128), the forward convolution, the stock and the fast (forward-kernel)
 * input and filter gradients, the dense-layer matMul gradient with transpose flags vs explicit
 * transposes, and one plain LeNet5 Adam step. Prints JSON.
 *
 *   npx tsx bench/convGradients.ts [--backend wasm|cpu] [--threads N]
 *
 * `--threads N` tries the experimental threaded wasm build (bench/wasmThreads.ts).
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { setCpuBackend } from '../core/engine/cpuBackend';
import { createPlainLenet5 } from './plainLenet5';
import {
  conv2dFilterGradient,
  conv2dInputGradient,
  registerFastGradients,
  restoreStockGradients,
} from '../core/engine/fastGradients';
import { initBenchBackend, timeMedianMs } from './benchBackend';

const BATCH = 128;
type Shape4D = [number, number, number, number];
const layers: { name: string; x: Shape4D; w: Shape4D; pad: 'same' | 'valid' }[] = [
  { name: 'conv1 28×28×1→6 SAME 5×5', x: [BATCH, 28, 28, 1], w: [5, 5, 1, 6], pad: 'same' },
  { name: 'conv2 14×14×6→16 VALID 5×5', x: [BATCH, 14, 14, 6], w: [5, 5, 6, 16], pad: 'valid' },
  { name: 'conv3 5×5×16→120 VALID 5×5', x: [BATCH, 5, 5, 16], w: [5, 5, 16, 120], pad: 'valid' },
];

function attempt(run: () => number): number | string {
  try {
    return Number(run().toFixed(3));
  } catch (error) {
    return `unavailable: ${(error as Error).message.split('\n')[0]}`;
  }
}

/** Max relative difference of the fast dx, dW on this backend from the stock ones on cpu, per layer. */
async function compareWithCpu(backendName: string): Promise<Record<string, { dx: number; dW: number }>> {
  const gradientsOf = (layer: (typeof layers)[number]) =>
    tf.tidy(() => {
      const x = tf.randomNormal(layer.x, 0, 1, 'float32', 1);
      const w = tf.randomNormal(layer.w, 0, 0.1, 'float32', 2);
      const outShape = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, layer.pad).shape;
      const cotangent = tf.randomNormal(outShape, 0, 1, 'float32', 3);
      const loss = (xs: tf.Tensor, ws: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, 1, layer.pad), cotangent));
      return tf
        .grads(loss)([x, w])
        .map((g) => g.dataSync() as Float32Array);
    });
  const relative = (a: Float32Array, b: Float32Array) => {
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < b.length; i += 1) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    return Number((diff / scale).toExponential(2));
  };
  registerFastGradients();
  const fast = layers.map(gradientsOf);
  restoreStockGradients();
  await setCpuBackend();
  const stock = layers.map(gradientsOf);
  await tf.setBackend(backendName);
  return Object.fromEntries(
    layers.map((layer, i) => [
      layer.name,
      { dx: relative(fast[i][0], stock[i][0]), dW: relative(fast[i][1], stock[i][1]) },
    ]),
  );
}

async function main(): Promise<void> {
  const backend = await initBenchBackend(process.argv.slice(2));
  registerFastGradients();
  const convolutions = layers.map((layer) => {
    const x = tf.randomNormal(layer.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal(layer.w, 0, 0.1, 'float32', 2) as tf.Tensor4D;
    const y = tf.conv2d(x, w, 1, layer.pad);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3) as tf.Tensor4D;
    const attrs = { strides: 1, pad: layer.pad, dataFormat: 'NHWC' as const, dilations: 1 };
    const kernelAttrs = { strides: 1, pad: layer.pad, dataFormat: 'NHWC' };
    const result = {
      layer: layer.name,
      forwardMs: attempt(() => timeMedianMs(() => tf.conv2d(x, w, 1, layer.pad))),
      stockInputGradMs: attempt(() =>
        timeMedianMs(
          () =>
            tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, {
              ...kernelAttrs,
              inputShape: x.shape,
            } as unknown as tf.NamedAttrMap) as tf.Tensor,
        ),
      ),
      fastInputGradMs: attempt(() => timeMedianMs(() => conv2dInputGradient(x.shape, dy, w, attrs) as tf.Tensor)),
      stockFilterGradMs: attempt(() =>
        timeMedianMs(
          () =>
            tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
              ...kernelAttrs,
              filterShape: w.shape,
            } as unknown as tf.NamedAttrMap) as tf.Tensor,
        ),
      ),
      fastFilterGradMs: attempt(() => timeMedianMs(() => conv2dFilterGradient(x, dy, w.shape, attrs))),
    };
    tf.dispose([x, w, y, dy]);
    return result;
  });

  // Dense layer 120 → 84 at batch 128: the gradient of a·b with respect to b, both ways.
  const a = tf.randomNormal([BATCH, 120]);
  const dy = tf.randomNormal([BATCH, 84]);
  const matMulGradient = {
    shape: 'dW = aᵀ·dy, a [128,120], dy [128,84]',
    transposeFlagMs: attempt(() => timeMedianMs(() => tf.matMul(a, dy, true, false))),
    explicitTransposeMs: attempt(() => timeMedianMs(() => tf.matMul(tf.transpose(a), dy))),
  };
  tf.dispose([a, dy]);

  const images = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
  const labels = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 5), 10) as tf.Tensor2D;
  const stepTimes: Record<string, number | string> = {};
  let tensorsLeft = 0;
  for (const variant of ['fast', 'stock'] as const) {
    // Counted before the stock attempt: tfjs leaks the tensors of a backprop whose kernel is missing.
    if (variant === 'stock') {
      tensorsLeft = tf.memory().numTensors - 2;
      restoreStockGradients();
    }
    const model = createPlainLenet5(0);
    stepTimes[`${variant}GradientsStepMs`] = attempt(() => timeMedianMs(() => model.trainStep(images, labels), 3, 15));
    model.dispose();
  }
  tf.dispose([images, labels]);
  const stepMs = stepTimes.fastGradientsStepMs;
  const correctnessVsCpu = await compareWithCpu(backend.name);
  console.log(
    JSON.stringify(
      {
        backend,
        machine: { cpus: os.cpus().length, loadAverage1m: Number(os.loadavg()[0].toFixed(2)) },
        batch: BATCH,
        convolutions,
        matMulGradient,
        plainLenet5: {
          ...stepTimes,
          stepsPerSecond: typeof stepMs === 'number' ? Number((1000 / stepMs).toFixed(2)) : null,
        },
        tensorsLeftAfterFastRuns: tensorsLeft,
        correctnessVsCpu,
      },
      null,
      2,
    ),
  );
}

await main();
// The experimental threaded build's pthread workers would keep Node alive.
process.exit(0);

/**
 * Times, at LeNet5 sizes (batch 128), the forward convolution, the stock and the fast (forward-kernel)
 * input and filter gradients, the dense-layer matMul gradient with transpose flags vs explicit
 * transposes, and one plain LeNet5 Adam step. Prints JSON.
 *
 *   npx vite-node bench/convGradients.ts [-- --backend wasm|cpu] [--threads N]
 *
 * (vite-node rather than tsx: the stock gradient registrations cannot be loaded by tsx; see
 * core/engine/stockGradients.ts.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { createPlainLenet5 } from './plainLenet5';
import { conv2dFilterGradient, conv2dInputGradient, registerFastGradients, restoreStockGradients } from '../core/engine/fastGradients';
import { initBenchBackend, timeMedianMs } from './benchBackend';

const BATCH = 128;
const layers = [
  { name: 'conv1 28×28×1→6 SAME 5×5', x: [BATCH, 28, 28, 1], w: [5, 5, 1, 6], pad: 'same' as const },
  { name: 'conv2 14×14×6→16 VALID 5×5', x: [BATCH, 14, 14, 6], w: [5, 5, 6, 16], pad: 'valid' as const },
  { name: 'conv3 5×5×16→120 VALID 5×5', x: [BATCH, 5, 5, 16], w: [5, 5, 16, 120], pad: 'valid' as const },
];

function attempt(run: () => number): number | string {
  try {
    return Number(run().toFixed(3));
  } catch (error) {
    return `unavailable: ${(error as Error).message.split('\n')[0]}`;
  }
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
    const kernelAttrs = { strides: 1, pad: layer.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    const result = {
      layer: layer.name,
      forwardMs: attempt(() => timeMedianMs(() => tf.conv2d(x, w, 1, layer.pad))),
      stockInputGradMs: attempt(() =>
        timeMedianMs(() => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...kernelAttrs, inputShape: x.shape }) as tf.Tensor),
      ),
      fastInputGradMs: attempt(() => timeMedianMs(() => conv2dInputGradient(x.shape, dy, w, attrs) as tf.Tensor)),
      stockFilterGradMs: attempt(() =>
        timeMedianMs(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...kernelAttrs, filterShape: w.shape }) as tf.Tensor),
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
  console.log(
    JSON.stringify(
      {
        backend,
        batch: BATCH,
        convolutions,
        matMulGradient,
        plainLenet5: { ...stepTimes, stepsPerSecond: typeof stepMs === 'number' ? Number((1000 / stepMs).toFixed(2)) : null },
        tensorsLeftAfterFastRuns: tensorsLeft,
      },
      null,
      2,
    ),
  );
}

await main();

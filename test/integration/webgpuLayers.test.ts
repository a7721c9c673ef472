/**
 * The webgpu backend (Dawn on the software Vulkan driver CI prepares) computes what cpu computes:
 * every variational layer's forward pass, KL and gradients with respect to every trainable variable
 * agree with cpu to 1e-4 relative (of the largest magnitude in each tensor), and so do the fast
 * Conv2D/BatchMatMul gradients core registers for wasm (they are backend-generic tfjs ops, but they
 * run on every backend). Workloads stay tiny: llvmpipe compiles a shader per kernel and shape.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../../core/engine/gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFastGradients, restoreStockGradients } from '../../core/engine/fastGradients';
import {
  Conv2DFlipout,
  Conv2DLocalReparameterization,
  Conv2DReparameterization,
  type Conv2DVariationalBase,
} from '../../core/layers/conv2dVariational';
import {
  DenseFlipout,
  DenseLocalReparameterization,
  DenseReparameterization,
  type DenseVariationalBase,
} from '../../core/layers/denseVariational';
import type { VariationalLayerArgs } from '../../core/layers/variationalLayer';
import { meanFieldNormalPosterior } from '../../core/posteriors/meanFieldNormal';
import { fixedNormalPrior } from '../../core/priors/fixedNormal';
import { scaleMixturePrior } from '../../core/priors/scaleMixture';
import { SeedStream } from '../../core/random/seedStream';
import { selectBackend } from '../../electron/worker/backend';
import { useSoftwareVulkan } from '../fixtures/softwareVulkan';

const TOLERANCE = 1e-4;

/** max |a − b| over max |b|: one number per tensor, insensitive to entries near zero. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i += 1) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? maxDiff : maxDiff / scale;
}

interface LayerCase {
  name: string;
  inputShape: number[];
  make(args: VariationalLayerArgs): Conv2DVariationalBase | DenseVariationalBase;
  inputDim: number;
}

const denseArgs = { units: 5, activation: 'relu' as const };
const convArgs = { filters: 3, kernelSize: 3, activation: 'relu' as const };
const layerCases: LayerCase[] = [
  {
    name: 'DenseReparameterization',
    inputShape: [6, 4],
    inputDim: 4,
    make: (args) => new DenseReparameterization({ ...args, ...denseArgs }),
  },
  {
    name: 'DenseLocalReparameterization',
    inputShape: [6, 4],
    inputDim: 4,
    make: (args) => new DenseLocalReparameterization({ ...args, ...denseArgs }),
  },
  {
    name: 'DenseFlipout',
    inputShape: [6, 4],
    inputDim: 4,
    make: (args) => new DenseFlipout({ ...args, ...denseArgs }),
  },
  {
    name: 'Conv2DReparameterization (same)',
    inputShape: [3, 6, 6, 2],
    inputDim: 2,
    make: (args) => new Conv2DReparameterization({ ...args, ...convArgs, padding: 'same' }),
  },
  {
    name: 'Conv2DLocalReparameterization (valid)',
    inputShape: [3, 6, 6, 2],
    inputDim: 2,
    make: (args) => new Conv2DLocalReparameterization({ ...args, ...convArgs, padding: 'valid' }),
  },
  {
    name: 'Conv2DFlipout (same)',
    inputShape: [3, 6, 6, 2],
    inputDim: 2,
    make: (args) => new Conv2DFlipout({ ...args, ...convArgs, padding: 'same' }),
  },
];

type PriorKind = 'normal, analytic KL' | 'learned scale mixture, Monte Carlo KL';
const priorKinds: PriorKind[] = ['normal, analytic KL', 'learned scale mixture, Monte Carlo KL'];

/** Forward output, KL and the gradient of (Σ output · r + KL) for every trainable variable, read back. */
async function layerResults(
  layerCase: LayerCase,
  priorKind: PriorKind,
  mode: 'sample' | 'draw',
): Promise<{ output: Float32Array; kl: number; gradients: Float32Array[] }> {
  const mixture =
    priorKind === 'normal, analytic KL' ? null : scaleMixturePrior({ pi: 0.2, sigma1: 1, sigma2: 0.1, learned: true });
  const layer = layerCase
    .make({
      name: 'layer',
      makePosterior: meanFieldNormalPosterior({ muStd: 0.3, rho: -2 }),
      makePrior: mixture ?? fixedNormalPrior(1),
      klForm: mixture ? 'monteCarlo' : 'analytic',
    })
    .buildFor(layerCase.inputDim, 11);
  const input = tf.randomNormal(layerCase.inputShape, 0, 1, 'float32', 5);
  try {
    const variables = layer.trainableVariables;
    const forward = tf.tidy(() => layer.apply(input, { mode, seeds: new SeedStream(17) }));
    const cotangent = tf.randomNormal(forward.output.shape, 0, 1, 'float32', 6);
    const { grads, value } = tf.variableGrads(() => {
      const { output, kl } = layer.apply(input, { mode, seeds: new SeedStream(17) });
      return tf.add(tf.sum(tf.mul(output, cotangent)), kl) as tf.Scalar;
    }, variables);
    const output = (await forward.output.data()) as Float32Array;
    const kl = (await forward.kl.data())[0];
    const gradients = await Promise.all(
      variables.map(async (variable) => (await grads[variable.name].data()) as Float32Array),
    );
    tf.dispose([forward.output, forward.kl, cotangent, value, ...Object.values(grads)]);
    return { output, kl, gradients };
  } finally {
    input.dispose();
    layer.dispose();
    mixture?.shared.dispose();
  }
}

beforeAll(async () => {
  useSoftwareVulkan();
  await tf.setBackend('cpu');
});

afterAll(async () => {
  restoreStockGradients();
  await tf.setBackend('cpu');
});

describe('webgpu backend on software Vulkan', () => {
  it('starts when forced, on the fallback adapter, and records it', async () => {
    const info = await selectBackend('webgpu');
    expect(info.name).toBe('webgpu');
    expect(info.adapter?.fallback).toBe(true);
    expect(info.device).toContain(info.adapter!.description);
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('is skipped by auto, because its only adapter is a fallback one, with the reason recorded', async () => {
    const info = await selectBackend('auto');
    expect(info.name).not.toBe('webgpu');
    const skipped = info.skipped.find((skip) => skip.name === 'webgpu');
    expect(skipped?.reason).toMatch(/fallback \(software\)/);
  });
});

describe('variational layers: webgpu matches cpu to 1e-4 relative', () => {
  for (const layerCase of layerCases) {
    for (const priorKind of priorKinds) {
      it(`${layerCase.name}, ${priorKind}: forward, KL and gradients`, async () => {
        restoreStockGradients();
        await tf.setBackend('cpu');
        const expected = await layerResults(layerCase, priorKind, 'sample');
        await selectBackend('webgpu');
        registerFastGradients();
        const before = tf.memory();
        const actual = await layerResults(layerCase, priorKind, 'sample');
        // Everything the pass made was freed on the GPU too.
        expect(tf.memory().numTensors).toBe(before.numTensors);
        expect((tf.memory() as { numBytesInGPU?: number }).numBytesInGPU).toBe(
          (before as { numBytesInGPU?: number }).numBytesInGPU,
        );
        expect(relativeError(actual.output, expected.output)).toBeLessThan(TOLERANCE);
        expect(Math.abs(actual.kl - expected.kl) / Math.max(1, Math.abs(expected.kl))).toBeLessThan(TOLERANCE);
        expect(actual.gradients).toHaveLength(expected.gradients.length);
        actual.gradients.forEach((gradient, index) =>
          expect(relativeError(gradient, expected.gradients[index])).toBeLessThan(TOLERANCE),
        );
      });
    }
  }

  it('a whole-network draw (evaluation mode) of Conv2DFlipout agrees too', async () => {
    await tf.setBackend('cpu');
    const expected = await layerResults(layerCases[5], 'normal, analytic KL', 'draw');
    await selectBackend('webgpu');
    const actual = await layerResults(layerCases[5], 'normal, analytic KL', 'draw');
    expect(relativeError(actual.output, expected.output)).toBeLessThan(TOLERANCE);
  });
});

describe('fast gradients on webgpu match the stock cpu gradients', () => {
  type Shape4D = [number, number, number, number];
  const convCases: { name: string; x: Shape4D; w: Shape4D; pad: 'same' | 'valid' }[] = [
    { name: '8×8×1 → 3, SAME 5×5', x: [2, 8, 8, 1], w: [5, 5, 1, 3], pad: 'same' },
    { name: '6×6×3 → 4, VALID 5×5', x: [2, 6, 6, 3], w: [5, 5, 3, 4], pad: 'valid' },
    { name: '5×5×4 → 6, VALID 5×5 (whole input: the matMul path)', x: [2, 5, 5, 4], w: [5, 5, 4, 6], pad: 'valid' },
  ];

  async function convGradients(convCase: (typeof convCases)[number]): Promise<Float32Array[]> {
    const tensors = tf.tidy(() => {
      const x = tf.randomNormal(convCase.x, 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal(convCase.w, 0, 0.2, 'float32', 2) as tf.Tensor4D;
      const cotangent = tf.randomNormal(tf.conv2d(x, w, 1, convCase.pad).shape, 0, 1, 'float32', 3);
      const loss = (xs: tf.Tensor, ws: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, 1, convCase.pad), cotangent));
      return tf.grads(loss)([x, w]);
    });
    const values = await Promise.all(tensors.map(async (tensor) => (await tensor.data()) as Float32Array));
    tf.dispose(tensors);
    return values;
  }

  for (const convCase of convCases) {
    it(`Conv2D ${convCase.name}`, async () => {
      restoreStockGradients();
      await tf.setBackend('cpu');
      const [stockDx, stockDw] = await convGradients(convCase);
      await selectBackend('webgpu');
      registerFastGradients();
      const [fastDx, fastDw] = await convGradients(convCase);
      expect(relativeError(fastDx, stockDx)).toBeLessThan(TOLERANCE);
      expect(relativeError(fastDw, stockDw)).toBeLessThan(TOLERANCE);
    });
  }

  it('BatchMatMul', async () => {
    const run = async () => {
      const tensors = tf.tidy(() => {
        const a = tf.randomNormal([3, 4, 5], 0, 1, 'float32', 1);
        const b = tf.randomNormal([3, 5, 2], 0, 1, 'float32', 2);
        const cotangent = tf.randomNormal([3, 4, 2], 0, 1, 'float32', 3);
        return tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), cotangent)))([a, b]);
      });
      const values = await Promise.all(tensors.map(async (tensor) => (await tensor.data()) as Float32Array));
      tf.dispose(tensors);
      return values;
    };
    restoreStockGradients();
    await tf.setBackend('cpu');
    const [stockDa, stockDb] = await run();
    await selectBackend('webgpu');
    registerFastGradients();
    const [fastDa, fastDb] = await run();
    expect(relativeError(fastDa, stockDa)).toBeLessThan(TOLERANCE);
    expect(relativeError(fastDb, stockDb)).toBeLessThan(TOLERANCE);
  });
});

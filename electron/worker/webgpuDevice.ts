/**
 * tfjs's WebGPU backend on an adapter chosen and inspected by the caller: Dawn's Node binding in the
 * Node worker (./webgpuBackend.ts), Chromium's `navigator.gpu` in the desktop app's GPU window
 * (electron/gpuWindow/browserBackend.ts). Free of Node, so both share it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebGpuAdapter } from '../../core/contract/runEvent';

/** The part of a GPUAdapter this module reads (typed here: @webgpu/types is not in our lib). */
export interface GpuAdapterLike {
  readonly info: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    isFallbackAdapter?: boolean;
  };
  /** Older spelling of `info.isFallbackAdapter`, still on some Dawn and Chromium builds. */
  readonly isFallbackAdapter?: boolean;
  readonly features: ReadonlySet<string>;
  readonly limits: Record<string, number> | object;
  requestDevice(descriptor: {
    requiredFeatures: string[];
    requiredLimits: Record<string, number>;
  }): Promise<GpuDeviceLike>;
}

export interface GpuDeviceLike {
  readonly lost: Promise<{ reason: string; message: string }>;
}

/** What the run records of an adapter. */
export function describeGpuAdapter(adapter: GpuAdapterLike): WebGpuAdapter {
  return {
    vendor: adapter.info.vendor,
    architecture: adapter.info.architecture,
    device: adapter.info.device,
    description: adapter.info.description,
    fallback: Boolean(adapter.info.isFallbackAdapter ?? adapter.isFallbackAdapter),
  };
}

/**
 * Registers tfjs's WebGPU backend as `webgpu` on `adapter`, replacing the factory the package
 * registers itself when it finds `navigator.gpu` (that one asks for an adapter of its choosing).
 * The device descriptor is the one tfjs's factory builds: the adapter's own limits, so that large
 * batches are not refused by WebGPU's conservative defaults. `onLost` hears a lost device (driver
 * reset, GPU removed). The backend is registered, not activated.
 */
export async function registerWebGpuBackendOn(
  adapter: GpuAdapterLike,
  onLost: (description: string) => void,
): Promise<void> {
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  const limitNames = [
    'maxComputeWorkgroupStorageSize',
    'maxComputeWorkgroupsPerDimension',
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupSizeX',
    'maxComputeInvocationsPerWorkgroup',
  ];
  // GPUSupportedLimits' members are getters on its prototype: read them one by one.
  const limits = adapter.limits as Record<string, number>;
  const requiredLimits = Object.fromEntries(limitNames.map((name) => [name, limits[name]]));
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  void device.lost.then((info) => onLost(`${info.reason}: ${info.message}`));
  // The cast bridges our minimal types and the GPUDevice/GPUAdapterInfo the package declares.
  const backend = new WebGPUBackend(
    device as unknown as ConstructorParameters<typeof WebGPUBackend>[0],
    adapter.info as unknown as ConstructorParameters<typeof WebGPUBackend>[1],
  );
  if (!tf.registerBackend('webgpu', () => backend)) throw new Error('tfjs refused to register the "webgpu" backend');
  useDeterministicMatMul();
}

/**
 * tfjs-backend-webgpu's program for matrix products (and the convolutions it lowers to them).
 * Its default (-1) picks per shape, and for one shape family — batch 1, an inner dimension ≥ 2000
 * and an output small enough to give few 32×32 tiles — it picks `MatMulSplitKProgram`, which adds
 * partial sums into the output with float atomics (a compare-exchange loop): their order follows
 * the GPU's scheduling, so the same product gives different last bits from one call to the next.
 * LeNet5 meets it in conv1's filter gradient (1 input channel: a product of [25 × 28·28·B] by
 * [28·28·B × 6]). Measured on llvmpipe: two identical fresh 4-step runs differed in 8 of conv1's
 * 150 kernel means (up to 2e-7 relative) and in most Adam moments; a run stopped at step 4 and
 * resumed to 8 therefore differed from 8 straight steps — not lost state (step counter, seed
 * positions, β powers were equal), but run-to-run noise; that product alone, repeated 10 times,
 * differed from its first result 9 times. `MatMulPackedProgram` (3) tiles every product and sums
 * each output element in one invocation in a fixed order: with it the same seed gives the same
 * bits, run after run and across a resume (test/integration/webgpuTraining.test.ts). Its cost on
 * llvmpipe, LeNet5 Flipout at batch 128, alternating in one process under load 14–18: median
 * 13.3 / 22.0 s per step against the default's 12.1 / 21.1 s (within the machine's noise);
 * `MatMulSmallOutputSizeProgram` (2) was slower (27.4 / 23.0 s). A hardware GPU was not measured.
 */
export const DETERMINISTIC_MATMUL_PROGRAM = 3;

function useDeterministicMatMul(): void {
  tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', DETERMINISTIC_MATMUL_PROGRAM);
}

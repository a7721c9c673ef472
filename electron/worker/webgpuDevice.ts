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
}

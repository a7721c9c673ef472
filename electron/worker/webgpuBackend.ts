/**
 * The `webgpu` backend of the training worker: tfjs-backend-webgpu on Dawn's Node binding (npm
 * `webgpu`, which ships `dawn.node` for linux-x64/arm64, macOS and Windows). Dawn reaches the GPU
 * through Vulkan on Linux, Metal on macOS and Direct3D 12 on Windows, so no CUDA is involved.
 *
 * The adapter is asked for and inspected here, before tfjs sees it, because `auto` must never train
 * on a fallback (software) adapter — llvmpipe is slower than wasm — while `--backend webgpu` may,
 * which is how CI checks this backend on a machine without a GPU.
 *
 * Dawn is asked first in a child process (./webgpuProbeProcess.ts), whose stderr is captured: Dawn
 * and the Vulkan drivers print their notes to the process's file descriptor 2, i.e. the user's
 * terminal. Only when that probe found an adapter this run may use is Dawn loaded into the worker.
 */
import { describeAdapter, type WebGpuAdapter } from '../../core/contract/runEvent';
import { describeGpuAdapter, registerWebGpuBackendOn, type GpuAdapterLike } from './webgpuDevice';
import { probeWebGpuAdapter, type ProbeVerdict } from './webgpuProbeProcess';

/** What an attempt to start the webgpu backend found. */
export type WebGpuAttempt =
  { ok: true; device: string; adapter: WebGpuAdapter } | { ok: false; reason: string; adapter?: WebGpuAdapter };

interface DawnGpu {
  requestAdapter(options: { powerPreference: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

interface DawnModule {
  create(options: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

type Discovery =
  { ok: true; gpu: DawnGpu; adapter: GpuAdapterLike; info: WebGpuAdapter } | { ok: false; reason: string };

/** The child-process probe runs once per worker thread; the machine's drivers do not change under it. */
let probe: Promise<ProbeVerdict> | null = null;
/** Dawn is loaded and asked for an adapter once per worker; the answer does not change. */
let discovery: Promise<Discovery> | null = null;
/** tfjs's backend is created at most once (a second device would hold a second set of buffers). */
let initialised: Promise<void> | null = null;
/** Set when Dawn reports the device lost (driver reset, GPU removed); later runs skip webgpu. */
let deviceLost: string | null = null;

/**
 * Starts (or reuses) the webgpu backend. `allowFallback`: whether a fallback adapter is acceptable
 * (only when the user forced this backend). The backend is registered, not activated.
 */
export async function attemptWebGpu(allowFallback: boolean): Promise<WebGpuAttempt> {
  // Electron ≥ 21 runs V8 with its memory cage, in which N-API may not wrap memory it does not own
  // in an ArrayBuffer; dawn.node's GPUBuffer.getMappedRange does exactly that (Napi::ArrayBuffer::New
  // over Dawn's mapping), and tfjs reads every result through it. So inside Electron the binding is
  // not even probed: the desktop app trains on the GPU through Chromium's own WebGPU instead
  // (electron/gpuWindow/).
  if (process.versions.electron) {
    return {
      ok: false,
      reason:
        "Dawn's Node binding hands out GPU-mapped memory as external ArrayBuffers, which Electron's V8 memory cage refuses; the desktop app reaches the GPU through Chromium's WebGPU instead",
    };
  }
  probe ??= probeWebGpuAdapter();
  const probed = await probe;
  if (!probed.ok) return { ok: false, reason: probed.reason };
  if (probed.adapter.fallback && !allowFallback)
    return { ok: false, adapter: probed.adapter, reason: fallbackReason(probed.adapter) };
  discovery ??= discoverAdapter();
  const found = await discovery;
  if (!found.ok) return { ok: false, reason: found.reason };
  if (deviceLost)
    return {
      ok: false,
      reason: `The GPU device was lost earlier in this session (${deviceLost}); restart the app to use it again.`,
      adapter: found.info,
    };
  // The probe saw a hardware adapter but this process may be offered another one (drivers differ
  // in what they answer the second time); the rule is checked on what tfjs would really get.
  if (found.info.fallback && !allowFallback)
    return { ok: false, adapter: found.info, reason: fallbackReason(found.info) };
  try {
    initialised ??= registerWebGpuBackend(found.gpu, found.adapter);
    await initialised;
    return { ok: true, device: describeAdapter(found.info), adapter: found.info };
  } catch (error) {
    initialised = null;
    return { ok: false, reason: `the WebGPU device could not be created: ${errorMessage(error)}`, adapter: found.info };
  }
}

function fallbackReason(adapter: WebGpuAdapter): string {
  return `the only WebGPU adapter is a fallback (software) one, ${describeAdapter(adapter)}, which trains slower than wasm; choose the "webgpu" backend to use it anyway`;
}

async function discoverAdapter(): Promise<Discovery> {
  let dawn: DawnModule;
  try {
    dawn = (await import('webgpu')) as unknown as DawnModule;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      return {
        ok: false,
        reason: `Dawn's Node binding (npm "webgpu") has no build for ${process.platform}-${process.arch} or is not installed: ${errorMessage(error)}`,
      };
    }
    return { ok: false, reason: `Dawn's Node binding (npm "webgpu") could not be loaded: ${errorMessage(error)}` };
  }
  // tfjs-backend-webgpu names GPUBufferUsage, GPUMapMode… as globals, as in a browser.
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  let gpu: DawnGpu;
  let adapter: GpuAdapterLike | null;
  try {
    gpu = dawn.create([]);
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { ok: false, reason: `Dawn could not look for a GPU adapter: ${errorMessage(error)}` };
  }
  if (!adapter) {
    return {
      ok: false,
      reason: `no WebGPU adapter was found (${process.platform === 'linux' ? "no Vulkan driver answered; install your GPU vendor's Vulkan driver" : 'no usable GPU driver answered'})`,
    };
  }
  const info = describeGpuAdapter(adapter);
  return { ok: true, gpu, adapter, info };
}

/** WebGPUBackend's constructor needs `navigator.gpu`, so it is exposed first (./webgpuDevice.ts does the rest). */
async function registerWebGpuBackend(gpu: DawnGpu, adapter: GpuAdapterLike): Promise<void> {
  exposeNavigatorGpu(gpu);
  await registerWebGpuBackendOn(adapter, (description) => {
    deviceLost = description;
  });
}

/**
 * WebGPUBackend's constructor refuses to run unless `navigator.gpu` exists, as in a browser. Set only
 * once the backend is really used, so a skipped webgpu leaves the worker's globals as they were.
 */
function exposeNavigatorGpu(gpu: DawnGpu): void {
  const navigator = (globalThis as { navigator?: object }).navigator;
  if (navigator && typeof navigator === 'object') {
    // Node ≥ 21 has a global navigator (hardwareConcurrency, userAgent…): add to it.
    if (!('gpu' in navigator)) Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

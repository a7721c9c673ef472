/**
 * The backend choice of the desktop app's GPU window (a Web Worker in a hidden Chromium window):
 * `webgpu` on Chromium's own WebGPU (a hardware adapter only in `auto`, as in the Node worker), then
 * `wasm`, then `cpu`. `tensorflow` (libtensorflow, a Node addon) does not exist here. Every backend
 * skipped is recorded with its reason, as electron/worker/backend.ts does.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice } from '../../core/contract/runConfig';
import { describeAdapter, type BackendInfo } from '../../core/contract/runEvent';
import { setCpuBackend } from '../../core/engine/cpuBackend';
import { describeGpuAdapter, registerWebGpuBackendOn, type GpuAdapterLike } from '../worker/webgpuDevice';
import type { ChromiumAdapterReport } from './messages';

export class BrowserBackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrowserBackendError';
  }
}

interface NavigatorGpu {
  requestAdapter(options: { powerPreference: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

type Attempt =
  { ok: true; device: string; adapter?: BackendInfo['adapter'] } | { ok: false; skipped: BackendInfo['skipped'] };

export interface BrowserBackendOptions {
  /** Where tfjs-backend-wasm's .wasm files are served, ending in `/` (beside the worker bundle). */
  wasmPaths: string;
}

/** Picks backends for the runs of one Web Worker. */
export class BrowserBackends {
  private webgpu: Promise<{ adapter: GpuAdapterLike; info: NonNullable<BackendInfo['adapter']> } | string> | null =
    null;
  private webgpuRegistered: Promise<void> | null = null;
  private wasm: Promise<Attempt> | null = null;
  private cpu: Promise<Attempt> | null = null;
  private deviceLost: string | null = null;

  constructor(private readonly options: BrowserBackendOptions) {}

  /** Makes `choice` (or the best available backend, for `auto`) the active tfjs backend. */
  async select(choice: BackendChoice): Promise<BackendInfo> {
    if (choice === 'tensorflow') {
      throw new BrowserBackendError(
        'The "tensorflow" backend was requested but could not be started (tensorflow: libtensorflow is a Node addon, and this run trains in Chromium). Choose "auto" to fall back to another backend.',
      );
    }
    const order = choice === 'auto' ? (['webgpu', 'wasm', 'cpu'] as const) : ([choice] as const);
    const skipped: BackendInfo['skipped'] = [];
    for (const name of order) {
      const attempt = await this.attempt(name, choice !== 'auto');
      if (attempt.ok) {
        if (tf.getBackend() !== name && !(await tf.setBackend(name)))
          throw new BrowserBackendError(`The "${name}" backend started once but could not be made active again.`);
        await tf.ready();
        const info: BackendInfo = { name, device: attempt.device, skipped };
        return attempt.adapter ? { ...info, adapter: attempt.adapter } : info;
      }
      skipped.push(...attempt.skipped);
    }
    const reasons = skipped.map((skip) => `${skip.name}: ${skip.reason}`).join('; ');
    throw new BrowserBackendError(
      choice === 'auto'
        ? `No tfjs backend could be started (${reasons}).`
        : `The "${choice}" backend was requested but could not be started (${reasons}). Choose "auto" to fall back to another backend.`,
    );
  }

  /** The adapter Chromium offers (asked once per worker, as for training), for the host's choice of where `auto` runs train. */
  async adapterReport(): Promise<ChromiumAdapterReport> {
    this.webgpu ??= findAdapter();
    const found = await this.webgpu;
    if (typeof found === 'string') return { ok: false, reason: found };
    if (this.deviceLost)
      return { ok: false, reason: `the GPU device was lost earlier in this session (${this.deviceLost})` };
    return { ok: true, adapter: found.info };
  }

  private attempt(name: 'webgpu' | 'wasm' | 'cpu', forced: boolean): Promise<Attempt> {
    if (name === 'webgpu') return this.attemptWebGpu(forced);
    if (name === 'wasm') return (this.wasm ??= this.attemptWasm());
    return (this.cpu ??= attemptCpu());
  }

  private async attemptWebGpu(allowFallback: boolean): Promise<Attempt> {
    const skip = (reason: string): Attempt => ({ ok: false, skipped: [{ name: 'webgpu', reason }] });
    this.webgpu ??= findAdapter();
    const found = await this.webgpu;
    if (typeof found === 'string') return skip(found);
    if (this.deviceLost)
      return skip(
        `the GPU device was lost earlier in this session (${this.deviceLost}); restart the app to use it again`,
      );
    if (found.info.fallback && !allowFallback) {
      return skip(
        `the only WebGPU adapter is a fallback (software) one, ${describeAdapter(found.info)}, which trains slower than wasm; choose the "webgpu" backend to use it anyway`,
      );
    }
    try {
      this.webgpuRegistered ??= registerWebGpuBackendOn(found.adapter, (description) => {
        this.deviceLost = description;
      });
      await this.webgpuRegistered;
    } catch (error) {
      this.webgpuRegistered = null;
      return skip(`the WebGPU device could not be created: ${messageOf(error)}`);
    }
    return { ok: true, device: `Chromium WebGPU on ${describeAdapter(found.info)}`, adapter: found.info };
  }

  private async attemptWasm(): Promise<Attempt> {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(this.options.wasmPaths);
      if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not initialise the WebAssembly module');
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      return {
        ok: true,
        device: `WebAssembly in Chromium (${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'multi-threaded' : '1 thread'})`,
      };
    } catch (error) {
      return { ok: false, skipped: [{ name: 'wasm', reason: messageOf(error) }] };
    }
  }
}

/** The adapter Chromium offers, or why there is none. */
async function findAdapter(): Promise<{ adapter: GpuAdapterLike; info: NonNullable<BackendInfo['adapter']> } | string> {
  const gpu = (globalThis.navigator as { gpu?: NavigatorGpu } | undefined)?.gpu;
  if (!gpu)
    return 'Chromium offers no WebGPU here (navigator.gpu is missing: WebGPU is disabled or blocklisted for this GPU)';
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return 'Chromium found no WebGPU adapter (no usable GPU driver answered)';
    return { adapter, info: describeGpuAdapter(adapter) };
  } catch (error) {
    return `Chromium could not look for a GPU adapter: ${messageOf(error)}`;
  }
}

async function attemptCpu(): Promise<Attempt> {
  try {
    if (!(await setCpuBackend())) throw new Error('tfjs could not initialise the JavaScript backend');
    return { ok: true, device: 'JavaScript in Chromium (1 thread)' };
  } catch (error) {
    return { ok: false, skipped: [{ name: 'cpu', reason: messageOf(error) }] };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

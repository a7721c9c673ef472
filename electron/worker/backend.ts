/**
 * Picks the tfjs backend the worker trains on: `tensorflow` (tfjs-node-gpu, then tfjs-node; both
 * optional dependencies that may be missing), then `webgpu` (Dawn, on a hardware adapter only),
 * then `wasm`, then `cpu` — or exactly the one a run config forces. Every backend skipped on the way is recorded with its reason, because the user
 * sees (and the run saves) why training is slower than it could be.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice } from '../../core/contract/runConfig';
import type { BackendInfo } from '../../core/contract/runEvent';
import { setCpuBackend } from '../../core/engine/cpuBackend';
import { locateAsarFile } from './asarPaths';
import { attemptWebGpu } from './webgpuBackend';
import { LIBTENSORFLOW_PACKAGES } from './libtensorflowPackages';

export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

type BackendName = Exclude<BackendChoice, 'auto'>;
const autoOrder: BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

type Attempt =
  { ok: true; device: string; adapter?: BackendInfo['adapter'] } | { ok: false; skipped: BackendInfo['skipped'] };

/**
 * Loading a backend package and initialising it is done at most once per worker: tfjs keeps the
 * registered backends, and retrying a failed native import per run would only repeat its error.
 */
const attempts = new Map<BackendName, Promise<Attempt>>();

/** Makes `choice` (or the best available backend, for `auto`) the active tfjs backend. */
export async function selectBackend(choice: BackendChoice): Promise<BackendInfo> {
  if (choice !== 'auto') {
    // Forced, webgpu may run on a fallback (software) adapter: the user asked for exactly this.
    const attempt = choice === 'webgpu' ? await attemptWebGpuBackend(true) : await attemptBackend(choice);
    if (!attempt.ok) {
      const reasons = attempt.skipped.map((skip) => `${skip.name}: ${skip.reason}`).join('; ');
      throw new BackendError(
        `The "${choice}" backend was requested but could not be started (${reasons}). Choose "auto" to fall back to another backend.`,
      );
    }
    await activate(choice);
    return withAdapter({ name: choice, device: attempt.device, skipped: [] }, attempt);
  }
  const skipped: BackendInfo['skipped'] = [];
  for (const name of autoOrder) {
    const attempt = name === 'webgpu' ? await attemptWebGpuBackend(false) : await attemptBackend(name);
    if (attempt.ok) {
      await activate(name);
      return withAdapter({ name, device: attempt.device, skipped }, attempt);
    }
    skipped.push(...attempt.skipped);
  }
  const reasons = skipped.map((skip) => `${skip.name}: ${skip.reason}`).join('; ');
  throw new BackendError(`No tfjs backend could be started (${reasons}).`);
}

function withAdapter(info: BackendInfo, attempt: Attempt & { ok: true }): BackendInfo {
  return attempt.adapter ? { ...info, adapter: attempt.adapter } : info;
}

/** Not cached here: whether a fallback adapter is acceptable depends on the choice (webgpuBackend.ts caches the rest). */
async function attemptWebGpuBackend(allowFallback: boolean): Promise<Attempt> {
  const attempt = await attemptWebGpu(allowFallback);
  return attempt.ok
    ? { ok: true, device: `WebGPU on ${attempt.device}`, adapter: attempt.adapter }
    : { ok: false, skipped: [{ name: 'webgpu', reason: attempt.reason }] };
}

function attemptBackend(name: Exclude<BackendName, 'webgpu'>): Promise<Attempt> {
  let attempt = attempts.get(name);
  if (!attempt) {
    attempt = name === 'tensorflow' ? attemptTensorflow() : name === 'wasm' ? attemptWasm() : attemptCpu();
    attempts.set(name, attempt);
  }
  return attempt;
}

async function activate(name: BackendName): Promise<void> {
  if (tf.getBackend() !== name && !(await tf.setBackend(name))) {
    throw new BackendError(`The "${name}" backend started once but could not be made active again.`);
  }
  await tf.ready();
}

/** The native TensorFlow bindings, GPU build first. */
async function attemptTensorflow(): Promise<Attempt> {
  const skipped: BackendInfo['skipped'] = [];
  for (const candidate of LIBTENSORFLOW_PACKAGES) {
    try {
      await importOptional(candidate.name);
      // tfjs-node registers 'tensorflow' in the tfjs-core it resolves; if that is another copy
      // than ours, the registry we see does not have it.
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tfjs refused to initialise the "tensorflow" backend');
      return { ok: true, device: candidate.device };
    } catch (error) {
      skipped.push({ name: candidate.name, reason: describeLoadFailure(error) });
    }
  }
  return { ok: false, skipped };
}

async function attemptWasm(): Promise<Attempt> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Emscripten reads the .wasm beside the package's JS by default; in a packaged app that folder
    // may be inside app.asar while the binaries are unpacked, so point it at the real files.
    const binaries = wasmBinaryDir();
    if (binaries) wasm.setWasmPaths(binaries);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not initialise the WebAssembly module');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    return {
      ok: true,
      device: `WebAssembly (${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'multi-threaded' : '1 thread'})`,
    };
  } catch (error) {
    return { ok: false, skipped: [{ name: 'wasm', reason: describeLoadFailure(error) }] };
  }
}

async function attemptCpu(): Promise<Attempt> {
  try {
    if (!(await setCpuBackend())) throw new Error('tfjs could not initialise the JavaScript backend');
    return { ok: true, device: 'JavaScript (1 thread)' };
  } catch (error) {
    return { ok: false, skipped: [{ name: 'cpu', reason: describeLoadFailure(error) }] };
  }
}

/**
 * The folder of tfjs-backend-wasm's .wasm files, as a prefix ending in a separator, when they are
 * found (unpacked first); null leaves tfjs its default. Resolved from the package's main file
 * (dist/tf-backend-wasm.node.js), which sits beside the binaries.
 */
function wasmBinaryDir(): string | null {
  let main: string;
  try {
    main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  } catch {
    return null;
  }
  const binary = locateAsarFile(path.join(path.dirname(main), 'tfjs-backend-wasm.wasm'));
  return existsSync(binary) ? path.dirname(binary) + path.sep : null;
}

/** A specifier in a variable, so neither TypeScript nor the bundler insist the package exists. */
async function importOptional(packageName: string): Promise<unknown> {
  return import(packageName);
}

function describeLoadFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    return 'not installed (it is an optional dependency whose install downloads libtensorflow and may have failed)';
  }
  return error instanceof Error ? error.message : String(error);
}

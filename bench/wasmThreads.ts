/**
 * EXPERIMENT (bench only): the threaded-SIMD build of tfjs-backend-wasm 4.22 under Node.
 *
 * tfjs switches threads off under Node (flag WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false
 * there, tfjs issue #3830) because it starts its pthread workers from blob: URLs. This re-registers
 * the "wasm" backend with a factory that starts the same emscripten module the package ships in
 * wasm-out/, with a file-based pthread worker (wasmPthreadWorker.cjs) and the glue script passed to
 * the workers by path. The kernels are the package's own (registered for "wasm"). It depends on
 * package internals (the wasm-out files, the `module.tfjs` cwrap table BackendWasm expects), so it
 * is pinned to tfjs 4.22 and is not used by the app.
 *
 * A second obstacle: the C++ side caps the thread count at emscripten_num_logical_cores() / 2
 * (it assumes two hyper-threads per core), and under Node that is os.cpus().length / 2 — one thread
 * on a 2-CPU machine whatever setThreadsCount asks. With `overrideCoreCount`, os.cpus() reports
 * that many CPUs while the module starts (it reads the count once, in its static initialisers),
 * then is restored.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);

interface EmscriptenModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  tfjs?: Record<string, unknown>;
}

export async function registerThreadedWasmBackend(threads: number, overrideCoreCount = 2 * threads): Promise<void> {
  const gluePath = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const glueDirectory = dirname(gluePath);
  const workerPath = join(dirname(fileURLToPath(import.meta.url)), 'wasmPthreadWorker.cjs');
  const factory = require(gluePath) as (config: object) => Promise<EmscriptenModule>;
  if (tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const realCpus = os.cpus;
      const cpus = realCpus();
      os.cpus = () => Array.from({ length: Math.max(overrideCoreCount, cpus.length) }, (_, i) => cpus[i % cpus.length]);
      let module: EmscriptenModule;
      try {
        module = await factory({
          locateFile: (path: string) => (path.endsWith('.worker.js') ? workerPath : join(glueDirectory, path)),
          mainScriptUrlOrBlob: gluePath,
        });
      } finally {
        os.cpus = realCpus;
      }
      module.tfjs = {
        init: module.cwrap('init', null, []),
        initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: module.cwrap('get_threads_count', 'number', []),
        registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: module.cwrap('dispose_data', null, ['number']),
        dispose: module.cwrap('dispose', null, []),
      };
      setThreadsCount(threads);
      return new BackendWasm(module as never);
    },
    2,
  );
}

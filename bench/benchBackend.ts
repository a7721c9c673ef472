/** Backend set-up and timing shared by the benchmarks. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { registerThreadedWasmBackend } from './wasmThreads';

export interface BenchBackend {
  name: string;
  simd: boolean | null;
  threads: number | null;
}

/** `--backend wasm|cpu` (default wasm); `--threads N` starts the experimental threaded wasm build. */
export async function initBenchBackend(argv: string[]): Promise<BenchBackend> {
  const option = (name: string) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const name = option('backend') ?? 'wasm';
  const threads = option('threads');
  if (name === 'wasm' && threads) await registerThreadedWasmBackend(Number(threads));
  if (!(await tf.setBackend(name))) throw new Error(`The ${name} backend did not initialise.`);
  if (name !== 'wasm') return { name, simd: null, threads: null };
  return { name, simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')), threads: getThreadsCount() };
}

/** Median wall time of `run` in ms, after `warmup` untimed calls; tensors it returns are read and freed. */
export function timeMedianMs(run: () => tf.Tensor | tf.Tensor[] | number, warmup = 3, repetitions = 20): number {
  const once = () => {
    const start = performance.now();
    tf.tidy(() => {
      const result = run();
      if (typeof result !== 'number')
        (Array.isArray(result) ? result : [result]).forEach((tensor) => tensor.dataSync());
    });
    return performance.now() - start;
  };
  for (let i = 0; i < warmup; i += 1) once();
  const times = Array.from({ length: repetitions }, once).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

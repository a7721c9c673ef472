/**
 * A trap in tfjs's wasm backend ("memory access out of bounds", emscripten's "Aborted(…)") leaves
 * its instance — the one wasm heap every later run and classification in this thread uses — in an
 * unknown state: after one, every later wasm run failed until the app was restarted. So the
 * worker does not carry on: it ends its own thread with the reason, the host fails the run with
 * that sentence (electron/host/trainingWorker.ts: "The training worker stopped unexpectedly …: <reason>.")
 * and a fresh worker, with a fresh wasm instance, takes the queue (electron/host/workerPool.ts).
 */

/** Whether `error` came out of a wasm trap or abort. */
export function isWasmAbort(error: unknown): boolean {
  if (typeof WebAssembly !== 'undefined' && error instanceof WebAssembly.RuntimeError) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /memory access out of bounds|^Aborted\(|RuntimeError: (unreachable|Aborted)/.test(message);
}

export class WasmAbortedError extends Error {
  override name = 'WasmAbortedError';
}

/**
 * Ends the worker thread with `reason` (a sentence without its final period: the host adds it).
 * Thrown outside any promise, so it is the thread's uncaught error and the host hears it as such.
 */
export function endPoisonedWorker(reason: string): void {
  // In a Web Worker (the desktop app's GPU window) an uncaught error does not end the worker, so it
  // closes itself after reporting the error; its window's bridge reports the death to the host.
  const scope = globalThis as { close?: () => void; importScripts?: unknown };
  const inWebWorker = typeof scope.importScripts === 'function' && typeof scope.close === 'function';
  const raise = () => {
    if (inWebWorker) setTimeout(() => scope.close?.(), 0);
    throw new WasmAbortedError(reason);
  };
  if (typeof setImmediate === 'function') setImmediate(raise);
  else setTimeout(raise, 0);
}

/**
 * Resolves after the current macrotask and the messages already queued: `setImmediate` in Node
 * (after the poll phase), a MessageChannel round trip in a Web Worker (setTimeout would be clamped).
 */
export function nextMacrotask(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise<void>((resolve) => setImmediate(resolve));
  return new Promise<void>((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** The reason for a run (or request) that hit a wasm abort, as the rest of a sentence. */
export function wasmAbortReason(error: unknown): string {
  const detail = (error instanceof Error ? error.message : String(error))
    .split('\n')[0]
    .replace(/\.$/, '')
    .slice(0, 200);
  return `the wasm backend aborted (${detail}); its memory cannot be trusted after that, so a fresh training worker takes the queue`;
}

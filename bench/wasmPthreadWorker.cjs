// The pthread worker of tfjs-backend-wasm's threaded-simd build, as a file Node can start.
// tfjs ships the worker only as a string (wasm-out/*.worker.js exports it) and, in the browser,
// starts it from a blob: URL, which node:worker_threads refuses. Evaluated here in module scope so
// that it sees this file's require and __filename, as emscripten's Node branch expects.
// The string holds "\n" escapes that its template literal turned into newlines; tfjs escapes them
// back the same way before making its blob.
const {
  wasmWorkerContents,
} = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');
// eslint-disable-next-line no-eval
eval(wasmWorkerContents.replace(/\n/g, '\\n'));

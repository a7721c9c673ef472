/**
 * The esbuild options of the Electron bundles in dist/electron/: main (ESM), preload
 * (CommonJS, as sandboxed preloads must be), the training worker and its data-parallel helpers (ESM). electron and
 * @tensorflow/* stay external: Electron provides the first, and tfjs loads its .wasm files and
 * native bindings from its own package folder in node_modules — which is why the packaged app
 * unpacks those packages (build/electron-builder.config.mjs). Shared by build-electron.mjs and the
 * packaging test, which checks that every external the worker imports is unpacked.
 */
// sharp and @napi-rs/canvas (the host's image decoding and headless figures) load native addons
// and, for sharp, libvips from their own packages, so they stay external too (and unpacked).
// webgpu (Dawn's addon) is loaded from its package folder at run time, and never inside Electron.
export const external = ['electron', '@tensorflow/*', 'sharp', '@napi-rs/canvas', 'webgpu'];
// CommonJS dependencies inside an ESM bundle may still call require() for Node built-ins.
const requireShim =
  "import { createRequire as __workbenchCreateRequire } from 'node:module'; const require = __workbenchCreateRequire(import.meta.url);";
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, external, logLevel: 'info' };

export const bundles = {
  main: {
    ...common,
    entryPoints: ['electron/main.ts'],
    outfile: 'dist/electron/main.js',
    format: 'esm',
    banner: { js: requireShim },
  },
  preload: { ...common, entryPoints: ['electron/preload.ts'], outfile: 'dist/electron/preload.cjs', format: 'cjs' },
  // The hidden GPU window's preload (electron/shell/gpuWindow.ts); its page and worker are gpuBundles below.
  gpuWindowPreload: {
    ...common,
    entryPoints: ['electron/gpuWindowPreload.ts'],
    outfile: 'dist/electron/gpuWindowPreload.cjs',
    format: 'cjs',
  },
  worker: {
    ...common,
    entryPoints: ['electron/worker/worker.ts'],
    outfile: 'dist/electron/worker.js',
    format: 'esm',
    banner: { js: requireShim },
  },
  // The post-hoc fits' thread (temperature scaling, Laplace; electron/host/posthocService.ts starts it).
  posthocWorker: {
    ...common,
    entryPoints: ['electron/worker/posthocWorker.ts'],
    outfile: 'dist/electron/posthocWorker.js',
    format: 'esm',
    banner: { js: requireShim },
  },
  // The data-parallel helper threads the training worker starts (electron/worker/gradientPool.ts).
  gradientWorker: {
    ...common,
    entryPoints: ['electron/worker/gradientWorker.ts'],
    outfile: 'dist/electron/gradientWorker.js',
    format: 'esm',
    banner: { js: requireShim },
  },
};

/**
 * The desktop app's GPU window (electron/gpuWindow/): its page, and the Web Worker that trains on
 * Chromium's WebGPU, bundled for the browser into dist/gpu/ with tfjs-backend-wasm's binaries
 * copied beside them (./build-electron.mjs). Served on the app scheme under /gpu/.
 * test/electron/gpuWindow/trainingWebWorker.test.ts builds the same worker bundle for Chromium.
 */
export const gpuWindowDir = 'dist/gpu';
const browserCommon = { bundle: true, platform: 'browser', target: 'chrome120', sourcemap: true, logLevel: 'info' };
export const gpuBundles = {
  trainingWebWorker: {
    ...browserCommon,
    entryPoints: ['electron/gpuWindow/trainingWebWorker.ts'],
    outfile: `${gpuWindowDir}/trainingWebWorker.js`,
    format: 'esm',
  },
  page: {
    ...browserCommon,
    entryPoints: ['electron/gpuWindow/gpuWindowPage.ts'],
    outfile: `${gpuWindowDir}/gpuWindowPage.js`,
    format: 'esm',
  },
};
/** tfjs-backend-wasm's binaries, copied beside the worker bundle (it loads them from its own folder). */
export const wasmBinaries = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

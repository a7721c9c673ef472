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
  worker: {
    ...common,
    entryPoints: ['electron/worker/worker.ts'],
    outfile: 'dist/electron/worker.js',
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

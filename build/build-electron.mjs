/**
 * Bundles the Electron side into dist/electron/, and the hidden GPU window's page and training Web
 * Worker into dist/gpu/ with its HTML and tfjs-backend-wasm's binaries (the options are in
 * ./electronBundles.mjs).
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { bundles, gpuBundles, gpuWindowDir, wasmBinaries } from './electronBundles.mjs';

await mkdir(gpuWindowDir, { recursive: true });
const wasmDir = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
await Promise.all([
  ...Object.values(bundles).map((options) => build(options)),
  ...Object.values(gpuBundles).map((options) => build(options)),
  copyFile('electron/gpuWindow/gpuWindow.html', path.join(gpuWindowDir, 'index.html')),
  ...wasmBinaries.map((name) => copyFile(path.join(wasmDir, name), path.join(gpuWindowDir, name))),
]);

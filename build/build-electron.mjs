/**
 * Bundles the Electron side into dist/electron/: main (ESM), preload (CommonJS, as sandboxed
 * preloads must be) and the training worker (ESM). electron and @tensorflow/* stay external:
 * Electron provides the first, and tfjs loads its .wasm files and native bindings from its own
 * package folder in node_modules.
 */
import { build } from 'esbuild';

const external = ['electron', '@tensorflow/*'];
// CommonJS dependencies inside an ESM bundle may still call require() for Node built-ins.
const requireShim = "import { createRequire as __workbenchCreateRequire } from 'node:module'; const require = __workbenchCreateRequire(import.meta.url);";
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, external, logLevel: 'info' };

await Promise.all([
  build({ ...common, entryPoints: ['electron/main.ts'], outfile: 'dist/electron/main.js', format: 'esm', banner: { js: requireShim } }),
  build({ ...common, entryPoints: ['electron/preload.ts'], outfile: 'dist/electron/preload.cjs', format: 'cjs' }),
  build({ ...common, entryPoints: ['electron/worker/worker.ts'], outfile: 'dist/electron/worker.js', format: 'esm', banner: { js: requireShim } }),
]);

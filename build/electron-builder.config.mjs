/**
 * electron-builder configuration (https://www.electron.build/configuration): `npm run dist` builds
 * the installers of the current platform into release/ — Linux AppImage and deb, macOS dmg,
 * Windows NSIS. A JavaScript config rather than YAML because the asarUnpack list is computed from
 * the installed packages (./packagedDependencies.mjs). test/integration/packagingConfig.test.ts
 * checks it offline: required fields, that every referenced file exists, and that everything the
 * worker imports is unpacked.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  dependencyClosure,
  desktopExcludedPackages,
  optionalWorkerPackages,
  workerRuntimePackages,
} from './packagedDependencies.mjs';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const workerPackageDirs = dependencyClosure(rootDir, workerRuntimePackages, optionalWorkerPackages);

/** @type {import('electron-builder').Configuration} */
const config = {
  appId: 'org.bayesianworkbench.desktop',
  productName: 'Bayesian Workbench',
  copyright: 'Copyright © 2026 the Bayesian Workbench authors',
  directories: { output: 'release', buildResources: 'build' },
  // Only the bundles, the built renderer and the data files; production node_modules are added
  // by electron-builder itself (devDependencies are left out).
  // Dawn's Node binding is left out: the desktop worker does not load it (packagedDependencies.mjs).
  files: [
    'package.json',
    'dist/electron/**/*',
    'dist/renderer/**/*',
    // The hidden GPU window's page, training Web Worker and wasm binaries (electron/shell/gpuWindow.ts).
    'dist/gpu/**/*',
    'assets/**/*',
    '!**/*.map',
    ...desktopExcludedPackages.map((name) => `!node_modules/${name}/**/*`),
  ],
  asar: true,
  asarUnpack: [
    // A worker thread's entry must be a real file (electron/host/trainingWorker.ts spawns it from here).
    'dist/electron/worker.js',
    // …and so must the data-parallel helpers' (electron/worker/gradientPool.ts).
    'dist/electron/gradientWorker.js',
    // …and the post-hoc fits' (electron/host/posthocService.ts).
    'dist/electron/posthocWorker.js',
    // The reference MNIST split the worker reads (electron/worker/datasetFiles.ts).
    'assets/**/*',
    // Emscripten reads the wasm backend's binaries with fs from the unpacked folder
    // (electron/worker/backend.ts points setWasmPaths at it).
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
    // Native TensorFlow (tfjs-node, tfjs-node-gpu) when installed: .node addons and libtensorflow
    // must be real files for dlopen; electron-builder would unpack the .node files, not the .so.
    'node_modules/@tensorflow/tfjs-node/**/*',
    'node_modules/@tensorflow/tfjs-node-gpu/**/*',
    // sharp's addon dlopens libvips from @img/sharp-libvips-*; @napi-rs/canvas's addon is one .node file.
    // Native code must be real files (https://sharp.pixelplumbing.com/install#electron).
    'node_modules/sharp/**/*',
    'node_modules/@img/**/*',
    'node_modules/@napi-rs/**/*',
    // Everything the unpacked worker imports, resolved from app.asar.unpacked/node_modules.
    ...workerPackageDirs.map((dir) => `${dir}/**/*`),
  ],
  // tfjs-node ships N-API binaries, which are ABI-stable across Node and Electron: rebuilding them
  // against Electron's headers is unnecessary and would need libtensorflow's build toolchain.
  npmRebuild: false,
  // Hardening of the Electron binary itself (https://www.electronjs.org/docs/latest/tutorial/fuses):
  // no ELECTRON_RUN_AS_NODE, NODE_OPTIONS or --inspect to turn the app into a general Node, and
  // the app is only ever loaded from its (integrity-checked, where supported) asar.
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
  },
  // Nothing is uploaded anywhere by a build.
  publish: null,
  icon: 'build/icon.png',
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Science',
    synopsis: 'Train Bayesian neural networks and see their uncertainty',
    maintainer: 'Bayesian Workbench authors <workbench@example.org>',
    icon: 'build/icon.png',
  },
  deb: {
    // Training writes run folders under the user's config directory; nothing else is needed at run time.
    depends: [
      'libgtk-3-0',
      'libnotify4',
      'libnss3',
      'libxss1',
      'libxtst6',
      'xdg-utils',
      'libatspi2.0-0',
      'libuuid1',
      'libsecret-1-0',
    ],
  },
  mac: {
    target: ['dmg'],
    category: 'public.app-category.developer-tools',
    hardenedRuntime: true,
    icon: 'build/icon.png',
  },
  dmg: { title: 'Bayesian Workbench ${version}' },
  win: {
    target: ['nsis'],
    icon: 'build/icon.png',
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
  },
};

export default config;

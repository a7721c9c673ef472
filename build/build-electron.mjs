/** Bundles the Electron side into dist/electron/ (the options are in ./electronBundles.mjs). */
import { build } from 'esbuild';
import { bundles } from './electronBundles.mjs';

await Promise.all(Object.values(bundles).map((options) => build(options)));

/**
 * The gradient functions of every tfjs kernel. `@tensorflow/tfjs-core` alone registers none (the
 * `@tensorflow/tfjs` union package imports this file for its users), so without this import
 * `tf.grad` fails with "gradient function not found for Sum".
 *
 * The file is an ES module tree with extension-less imports: vite/vitest, vite-node and esbuild
 * bundles load it; plain Node ESM and tsx do not (tsx stops at `./gradients`, which is both a file
 * and a folder). Scripts that train therefore run under vite-node or from an esbuild bundle.
 * It loads a second copy of tfjs-core's modules; they share the one global engine and registries.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';

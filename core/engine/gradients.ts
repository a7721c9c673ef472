/**
 * tfjs-core ships its gradient functions apart from the ops, and its ES-module file that registers
 * them cannot be loaded by Node directly. The union package `@tensorflow/tfjs` registers all of
 * them in its Node build (into tfjs-core's global registry), so training imports it once here.
 */
import '@tensorflow/tfjs';

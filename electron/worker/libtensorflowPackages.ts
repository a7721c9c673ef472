/**
 * The native TensorFlow bindings the worker tries for its `tensorflow` backend, GPU build first.
 * Free of tfjs, so the host can ask whether they are installed (electron/host/localConcurrency.ts).
 */
export const LIBTENSORFLOW_PACKAGES = [
  { name: '@tensorflow/tfjs-node-gpu', device: 'GPU (libtensorflow with CUDA)' },
  { name: '@tensorflow/tfjs-node', device: 'CPU (libtensorflow)' },
] as const;

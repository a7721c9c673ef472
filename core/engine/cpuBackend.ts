/**
 * Makes tfjs's plain-JavaScript backend active without its Node banner. tfjs-backend-cpu prints
 * "Hi, looks like you are running TensorFlow.js in Node.js. To speed things up dramatically,
 * install our node backend…" on the first tensor it writes when the IS_NODE flag is set
 * (MathBackendCPU.write in backend_cpu.ts), through tfjs-core's log.warn, which stays silent while
 * the PROD or IS_TEST flag is set (log.ts). The workbench reports the backend its own way (the run
 * record, the status line), so that first write is made here with PROD set, and PROD is restored:
 * every later tfjs warning still reaches the log. IS_TEST is not used: it turns on the engine's
 * per-kernel memory-leak checks.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

/** Activates the cpu backend (true) or reports that tfjs refused it (false). */
export async function setCpuBackend(): Promise<boolean> {
  if (!(await tf.setBackend('cpu'))) return false;
  const production = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  try {
    tf.scalar(0).dispose(); // the backend's first write: where the banner would be printed
  } finally {
    tf.env().set('PROD', production);
  }
  return true;
}

/** Unit tests of core run on the cpu backend: deterministic and complete. */
import * as tf from '@tensorflow/tfjs-core';
import { setCpuBackend } from '../../../core/engine/cpuBackend';
import '../../../core/engine/gradients';

export async function useCpuBackend(): Promise<void> {
  await setCpuBackend();
  await tf.ready();
}

/**
 * Reading per-draw class probabilities out of a tensor. Evaluation computes a [T, N, C] tensor per
 * batch (T posterior draws of the softmax), reads it here, disposes it, and feeds the numbers to
 * the accumulators, so that no more than one batch of draws lives on the backend at a time.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { drawProbabilitiesFromFlat, type DrawProbabilities } from './predictive';

/** Downloads a [T, N, C] probability tensor; the caller still owns (and disposes) the tensor. */
export async function readDrawProbabilities(probabilities: Tensor): Promise<DrawProbabilities> {
  const values = (await probabilities.data()) as Float32Array;
  return drawProbabilitiesFromFlat(values, probabilities.shape);
}

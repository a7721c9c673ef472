/**
 * Posterior predictive of a regression network on a grid: T whole-network draws w_t ~ q(w),
 * mean(x) = (1/T) Σ_t f(x; w_t) and epistemic std(x) = sqrt((1/T) Σ_t f(x; w_t)² − mean(x)²).
 * Draws are evaluated in chunks so memory stays bounded whatever T is.
 */
import * as tf from '@tensorflow/tfjs-core';
import { takeValues } from '../engine/readback';
import type { VariationalSequential } from '../models/variationalSequential';
import type { SeedStream } from '../random/seedStream';

export interface Predictive {
  mean: number[];
  std: number[];
}

export async function regressionPredictive(
  network: VariationalSequential,
  grid: number[],
  draws: number,
  seeds: SeedStream,
  chunkSize = 50,
): Promise<Predictive> {
  const sum = new Float64Array(grid.length);
  const sumOfSquares = new Float64Array(grid.length);
  const input = tf.tensor2d(grid, [grid.length, 1]);
  try {
    for (let done = 0; done < draws; done += chunkSize) {
      const count = Math.min(chunkSize, draws - done);
      const predictions = tf.tidy(() => {
        const tiled = tf.tile(tf.expandDims(input, 0), [count, 1, 1]);
        const { output } = network.apply(tiled, { mode: 'sample', seeds, computeKl: false });
        return tf.reshape(output, [count, grid.length]);
      });
      const values = await takeValues(predictions);
      for (let s = 0; s < count; s += 1) {
        for (let i = 0; i < grid.length; i += 1) {
          const value = values[s * grid.length + i];
          sum[i] += value;
          sumOfSquares[i] += value * value;
        }
      }
    }
  } finally {
    input.dispose();
  }
  const mean = Array.from(sum, (total) => total / draws);
  const std = Array.from(sumOfSquares, (total, i) => Math.sqrt(Math.max(total / draws - mean[i] ** 2, 0)));
  return { mean, std };
}

/**
 * Weight-posterior statistics for the `posterior` event: per variational layer, histograms of the
 * posterior means μ on fixed edges over [−1.5, 1.5] and of the posterior standard deviations σ over
 * [0, 1] (the reference text's two panels), with mean |μ| and mean σ. Values outside the range are
 * counted in the end bins so every weight is accounted for.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Histogram, PosteriorEvent } from '../contract/runEvent';
import type { VariationalSequential } from '../models/variationalSequential';
import { takeValues } from '../engine/readback';

export const HISTOGRAM_BINS = 50;
export const MU_RANGE: [number, number] = [-1.5, 1.5];
export const SIGMA_RANGE: [number, number] = [0, 1];

export function histogram(values: ArrayLike<number>, min: number, max: number, bins = HISTOGRAM_BINS): Histogram {
  const counts = new Array<number>(bins).fill(0);
  const width = (max - min) / bins;
  for (let i = 0; i < values.length; i += 1) {
    const bin = Math.floor((values[i] - min) / width);
    counts[Math.min(bins - 1, Math.max(0, bin))] += 1;
  }
  return { min, max, counts };
}

const meanOf = (values: ArrayLike<number>, map: (v: number) => number) => {
  let total = 0;
  for (let i = 0; i < values.length; i += 1) total += map(values[i]);
  return values.length > 0 ? total / values.length : 0;
};

export async function posteriorStatistics(
  network: VariationalSequential,
): Promise<Pick<PosteriorEvent, 'layers' | 'prior'>> {
  const layers = [];
  for (const layer of network.layers) {
    const { kernel, bias } = layer.weights();
    const mu = await takeValues(
      tf.tidy(() => tf.concat([tf.reshape(kernel.posterior.loc, [-1]), tf.reshape(bias.posterior.loc, [-1])])),
    );
    const sigma = await takeValues(
      tf.tidy(() => tf.concat([tf.reshape(kernel.posterior.scale(), [-1]), tf.reshape(bias.posterior.scale(), [-1])])),
    );
    layers.push({
      name: layer.name,
      weights: mu.length,
      muHistogram: histogram(mu, ...MU_RANGE),
      sigmaHistogram: histogram(sigma, ...SIGMA_RANGE),
      meanAbsMu: meanOf(mu, Math.abs),
      meanSigma: meanOf(sigma, (v) => v),
    });
  }
  const prior = network.layers.length > 0 ? await network.layers[0].weights().kernel.prior.learnedParameters() : {};
  return { layers, prior };
}

/**
 * The seed's regression data: x = linspace(−0.5, 0.5, 32), y = 10 sin(2πx) + N(0, 1). Generated with
 * plain numbers from the run's seed, so every backend trains on the same data.
 */
import { linspace, type RegressionData } from '../../data/regressionData';
import { SeedStream, standardNormal } from '../../random/seedStream';

/** Noisy samples the network is fitted to (full batch). */
export const TRAINING_POINTS = 32;
export const SINUSOID_AMPLITUDE = 10;
export const trueFunction = (x: number) => SINUSOID_AMPLITUDE * Math.sin(2 * Math.PI * x);

export function sinusoidData(seed: number, count = TRAINING_POINTS, noiseStd = 1): RegressionData {
  const noise = new SeedStream(seed, 0x5eed);
  const x = linspace(-0.5, 0.5, count);
  const y = x.map((xi) => trueFunction(xi) + noiseStd * standardNormal(noise));
  return { x, y };
}

/**
 * The toy regression of Hernández-Lobato & Adams 2015 ("Probabilistic Backpropagation for Scalable
 * Learning of Bayesian Neural Networks", §5): 20 inputs x ~ U[−4, 4], y = x³ + ε, ε ~ N(0, 3²).
 * Generated with plain numbers from the run's seed, so every backend trains on the same data.
 */
import type { RegressionData } from '../../data/regressionData';
import { SeedStream, standardNormal } from '../../random/seedStream';
import type { BandRegions } from '../../scoring/bandFiguresOfMerit';

export const CUBIC_DATA_LIMIT = 4;
export const cubicFunction = (x: number) => x ** 3;

export function cubicData(seed: number, count: number, noiseStd: number): RegressionData {
  const stream = new SeedStream(seed, 0xc0b1c);
  const x = Array.from({ length: count }, () => -CUBIC_DATA_LIMIT + 2 * CUBIC_DATA_LIMIT * stream.uniform());
  const y = x.map((xi) => cubicFunction(xi) + noiseStd * standardNormal(stream));
  return { x, y };
}

/**
 * The band judged as the sinusoid's: σ over 5 ≤ |x| ≤ 6 (outside the data) ÷ σ over the central
 * 80 % of the data (|x| ≤ 3.2); RMSE and ±2σ coverage of x³ over the data's range |x| ≤ 4.
 */
export const cubicBandRegions: BandRegions = {
  trueFunction: cubicFunction,
  inside: CUBIC_DATA_LIMIT,
  centre: 3.2,
  outside: { from: 5, to: 6 },
};

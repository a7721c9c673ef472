/**
 * Mean-field Normal posterior q(w) = Π N(w_i; μ_i, σ_i²) with
 * σ = 1e-5 + softplus(log(expm1(1)) + ρ), the parameterisation of the seed's `posterior_mean_field`
 * (TFP): ρ = 0 gives σ ≈ 1, and σ stays positive whatever ρ the optimizer reaches.
 */
import * as tf from '@tensorflow/tfjs-core';
import { normalLogProb, normalSample } from '../distributions/normal';
import { createVariable } from '../engine/variables';

/** log(expm1(1)): the shift that makes softplus(c + 0) = 1. */
export const SOFTPLUS_ONE_SHIFT = Math.log(Math.expm1(1));
export const MIN_POSTERIOR_STD = 1e-5;

export interface MeanFieldInit {
  /** Standard deviation of the initial means μ ~ N(0, muStd²); 0 starts every mean at zero. */
  muStd: number;
  /** Initial ρ for every weight. ρ = −5 gives σ ≈ 0.0115; ρ = 0 gives σ ≈ 1. */
  rho: number;
  /** Seed of the initial means. */
  seed: number;
}

export interface Posterior {
  readonly loc: tf.Variable;
  readonly rho: tf.Variable;
  /** σ as a tensor (caller disposes). */
  scale(): tf.Tensor;
  /**
   * A reparameterized sample, shape [sampleCount, ...] when sampleCount is given; `scale` is σ when
   * the caller has computed it already (the same values, one softplus fewer).
   */
  sample(seed: number, sampleCount?: number, scale?: tf.Tensor): tf.Tensor;
  /** Element-wise log q(w). */
  logProb(w: tf.Tensor): tf.Tensor;
  readonly trainableVariables: tf.Variable[];
  dispose(): void;
}

export interface PosteriorFactoryArgs {
  shape: number[];
  name: string;
  /** Seed for this weight's initial means. */
  seed: number;
}

export type PosteriorFactory = (args: PosteriorFactoryArgs) => Posterior;

export function posteriorStd(rho: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(MIN_POSTERIOR_STD, tf.softplus(tf.add(rho, SOFTPLUS_ONE_SHIFT))));
}

export function meanFieldNormalPosterior(init: Omit<MeanFieldInit, 'seed'>): PosteriorFactory {
  return ({ shape, name, seed }) => {
    const initialLoc = init.muStd > 0 ? tf.randomNormal(shape, 0, init.muStd, 'float32', seed) : tf.zeros(shape);
    const loc = createVariable(initialLoc, true, `${name}/loc`);
    const rho = createVariable(tf.fill(shape, init.rho), true, `${name}/rho`);
    const scale = () => posteriorStd(rho);
    return {
      loc,
      rho,
      scale,
      sample: (sampleSeed, sampleCount, knownScale) =>
        tf.tidy(() => normalSample(loc, knownScale ?? scale(), sampleSeed, sampleCount)),
      logProb: (w) => tf.tidy(() => normalLogProb(w, loc, scale())),
      trainableVariables: [loc, rho],
      dispose: () => {
        loc.dispose();
        rho.dispose();
      },
    };
  };
}

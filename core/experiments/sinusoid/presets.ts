/**
 * Sinusoid presets.
 *
 * `seed` is the reference text exactly: learned scale-mixture prior (π, σ1, σ2 = 0.2, 1.0, 0.1),
 * Monte Carlo KL, TFP's posterior initialisation (VariableLayer zeros: μ = 0, ρ = 0, so σ ≈ 1), one
 * weight sample per step, Adam 0.03, 1500 full-batch epochs. It is unreliable at 1500 epochs.
 *
 * `default` is what passes the band criteria on every seed tried (see README "Why the default
 * preset"): fixed N(0, 1) prior with the analytic KL (no Monte Carlo noise in the penalty), small
 * random means μ ~ N(0, 0.1²) that break the symmetry of a zero start, a small initial σ (ρ = −5,
 * σ ≈ 0.0115) so the net first fits the data before the KL widens σ where the data allow, and the
 * expected NLL averaged over 8 weight samples per step, which tames the gradient variance that makes
 * the one-sample estimator wander.
 */
import type { Preset } from '../descriptor';
import { sinusoidConfigSchema, type SinusoidConfig } from './config';

const common = {
  experiment: 'sinusoid' as const,
  seed: 0,
  epochs: 1500,
  learningRate: 0.03,
  hiddenUnits: [20, 20],
  noiseStd: 1,
  klWeight: null,
  predictiveDraws: 500,
  gridPoints: 1000,
  evalEvery: 100,
  backend: 'auto' as const,
};

export const sinusoidPresets: Preset<SinusoidConfig>[] = [
  {
    name: 'default',
    description:
      'Fixed N(0,1) prior, analytic KL, μ₀ ~ N(0, 0.1²), ρ₀ = −5, 8 weight samples per step, Adam 0.03, 1500 epochs.',
    config: sinusoidConfigSchema.parse({
      ...common,
      preset: 'default',
      prior: { kind: 'normal', scale: 1 },
      kl: 'analytic',
      estimator: 'reparameterization',
      samplesPerStep: 8,
      init: { muStd: 0.1, rho: -5 },
    }),
  },
  {
    name: 'seed',
    description:
      'The reference text: learned scale-mixture prior, Monte Carlo KL, μ₀ = 0, ρ₀ = 0, one sample per step, Adam 0.03, 1500 epochs.',
    config: sinusoidConfigSchema.parse({
      ...common,
      preset: 'seed',
      prior: { kind: 'scaleMixture', pi: 0.2, sigma1: 1.0, sigma2: 0.1, learned: true },
      kl: 'monteCarlo',
      estimator: 'reparameterization',
      samplesPerStep: 1,
      init: { muStd: 0, rho: 0 },
    }),
  },
  {
    name: 'trainable-prior',
    description: "The seed's other prior: N(m, 1) with a trainable mean per weight, analytic KL, otherwise as default.",
    config: sinusoidConfigSchema.parse({
      ...common,
      preset: 'trainable-prior',
      prior: { kind: 'trainableNormal' },
      kl: 'analytic',
      estimator: 'reparameterization',
      samplesPerStep: 8,
      init: { muStd: 0.1, rho: -5 },
    }),
  },
];

/**
 * LeNet5 presets. `seed` is the reference text (Flipout, N(0,1) prior, analytic KL, loss = mean NLL
 * + ΣKL / N_train, Adam 0.001, 6000 steps of 128, evaluation every 400 steps with 50 draws) with
 * TFP's default posterior initialisation (μ ~ N(0, 0.1²), σ ≈ softplus(−3) ≈ 0.049, here ρ = −3.5).
 */
import { lenet5ConfigSchema, type Lenet5Config } from '../../contract/runConfig';
import type { Preset } from '../experiment';

const seedConfig = lenet5ConfigSchema.parse({ experiment: 'lenet5', preset: 'seed' });

export const lenet5Presets: Preset<Lenet5Config>[] = [
  {
    name: 'seed',
    description: 'The reference text: Flipout, N(0,1) prior, analytic KL weighted 1/N_train, Adam 0.001, 6000 steps of 128, 50 draws every 400 steps.',
    config: seedConfig,
  },
  {
    name: 'quick',
    description: 'A 1500-step run of the seed settings (the reference measurement at 1500 steps).',
    config: { ...seedConfig, preset: 'quick', steps: 1500, evalEvery: 300 },
  },
  {
    name: 'fashion-mnist',
    description: "The seed's settings on Fashion-MNIST (60,000 training images from Debian's dataset-fashion-mnist).",
    config: { ...seedConfig, preset: 'fashion-mnist', dataset: 'fashion-mnist', evalImages: 1000 },
  },
];

/**
 * The classic toy regression of Hernández-Lobato & Adams 2015 as a plug-in: 20 points
 * x ~ U[−4, 4], y = x³ + N(0, 3²), one hidden layer of 100 relu units, mean-field VI with a
 * Gaussian likelihood of known σ = 3, the predictive band on [−6, 6]. This folder and one line in
 * ../descriptors.ts and ../trainers.ts are all it takes.
 */
import { regressionDescriptorParts } from '../regressionDescriptor';
import type { ExperimentDescriptor, Preset } from '../descriptor';
import { cubicConfigSchema, type CubicConfig } from './config';
import { cubicFunction } from './data';
import { regressionBudget } from '../regressionBudget';

export const CUBIC_TRAINING_POINTS = 20;
export const CUBIC_GRID_LIMIT = 6;

const defaultConfig = cubicConfigSchema.parse({
  experiment: 'cubic',
  preset: 'default',
  epochs: 2000,
  learningRate: 0.01,
  prior: { kind: 'normal', scale: 1 },
  kl: 'analytic',
  estimator: 'reparameterization',
  samplesPerStep: 8,
  init: { muStd: 0.1, rho: -5 },
  hiddenUnits: [100],
  noiseStd: 3,
  predictiveDraws: 500,
  gridPoints: 600,
  evalEvery: 100,
});

const presets: Preset<CubicConfig>[] = [
  {
    name: 'default',
    description:
      'One hidden layer of 100 relu units, N(0,1) prior with the analytic KL, μ₀ ~ N(0, 0.1²), ρ₀ = −5, 8 weight samples per step, Adam 0.01, 2000 epochs, trained on standardized data.',
    config: defaultConfig,
  },
];

export const cubicDescriptor: ExperimentDescriptor<CubicConfig, typeof cubicConfigSchema> = {
  name: 'cubic',
  title: 'Cubic toy regression (Hernández-Lobato & Adams 2015, 100 relu units)',
  shortTitle: 'Cubic toy regression',
  ...regressionDescriptorParts<CubicConfig>((config) => `cubic, ${config.hiddenUnits.join('-')} relu`),
  configSchema: cubicConfigSchema,
  presets,
  task: {
    kind: 'regression',
    plot: { x: { min: -CUBIC_GRID_LIMIT, max: CUBIC_GRID_LIMIT }, y: { min: -200, max: 200 } },
    trueFunction: cubicFunction,
    trueFunctionLabel: 'x³',
  },
  figureRows: [['loss'], ['predictive']],
  estimateResources: (config) => regressionBudget(config, CUBIC_TRAINING_POINTS),
  acceptance: [
    { summaryKey: 'stdRatio', comparison: '≥', value: 3, reason: 'wide outside the data', digits: 2 },
    { summaryKey: 'rmseInside', comparison: '≤', value: 4, reason: 'about the noise σ = 3', digits: 3 },
    { summaryKey: 'coverageInside', comparison: '≥', value: 0.8, digits: 3 },
  ],
};

/**
 * The sinusoid regression of the reference text, as the host, renderer and CLI see it: 32 noisy
 * samples of 10 sin(2πx) on [−0.5, 0.5], a 1-20-20-1 variational MLP, the predictive band on
 * [−1.5, 1.5]. The training code is ./trainer.ts.
 */
import { regressionDescriptorParts } from '../regressionDescriptor';
import type { ExperimentDescriptor } from '../descriptor';
import { sinusoidConfigSchema, type SinusoidConfig } from './config';
import { regressionBudget } from '../regressionBudget';
import { TRAINING_POINTS, trueFunction } from './data';
import { sinusoidPresets } from './presets';

export const sinusoidDescriptor: ExperimentDescriptor<SinusoidConfig, typeof sinusoidConfigSchema> = {
  name: 'sinusoid',
  title: 'Sinusoid regression (DenseVariational 20-20-1)',
  shortTitle: 'Sinusoid regression',
  ...regressionDescriptorParts<SinusoidConfig>(() => 'sinusoid'),
  configSchema: sinusoidConfigSchema,
  presets: sinusoidPresets,
  task: {
    kind: 'regression',
    plot: { x: { min: -1.5, max: 1.5 }, y: { min: -25, max: 25 } },
    trueFunction,
    trueFunctionLabel: '10 sin(2πx)',
  },
  figureRows: [['loss'], ['predictive'], ['posterior-mu', 'posterior-sigma'], ['prior-parameters']],
  estimateResources: (config) => regressionBudget(config, TRAINING_POINTS),
  acceptance: [
    { summaryKey: 'stdRatio', comparison: '≥', value: 3, reason: 'wide outside the data', digits: 2 },
    { summaryKey: 'rmseInside', comparison: '≤', value: 1.2, digits: 3 },
    { summaryKey: 'coverageInside', comparison: '≥', value: 0.9, digits: 3 },
  ],
};

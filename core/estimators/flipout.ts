import type { EstimatorSpec } from './estimator';

export const flipoutEstimator: EstimatorSpec<'flipout'> = {
  name: 'flipout',
  label: 'flipout',
  description: 'One shared perturbation decorrelated per example by random sign flips (Wen et al. 2018).',
  decorrelatesExamples: true,
};

import type { EstimatorSpec } from './estimator';

export const reparameterizationEstimator: EstimatorSpec<'reparameterization'> = {
  name: 'reparameterization',
  label: 'reparameterization',
  description: 'One weight draw w = μ + σ ∘ ε shared by the batch (Blundell et al. 2015).',
  decorrelatesExamples: false,
};

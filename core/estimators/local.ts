import type { EstimatorSpec } from './estimator';

export const localReparameterizationEstimator: EstimatorSpec<'local'> = {
  name: 'local',
  label: 'local reparameterization',
  description:
    'Samples each pre-activation from the Normal the weights imply, per example (Kingma, Salimans & Welling 2015).',
  decorrelatesExamples: true,
};

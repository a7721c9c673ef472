/**
 * π N(0, σ1²) + (1 − π) N(0, σ2²) (Blundell et al. 2015, eq. 7); when `learned`, π, σ1 and σ2 are
 * shared by all layers and trained with the posterior (factory: ../scaleMixture.ts).
 */
import { z } from 'zod';
import { formatMetric } from '../../figures/format';
import type { PriorKind } from './priorKind';

export const scaleMixturePriorSchema = z.object({
  kind: z.literal('scaleMixture'),
  pi: z.number().gt(0).lt(1).default(0.2),
  sigma1: z.number().positive().max(100).default(1.0),
  sigma2: z.number().positive().max(100).default(0.1),
  learned: z.boolean().default(true),
});

export const scaleMixturePriorKind: PriorKind<'scaleMixture', z.infer<typeof scaleMixturePriorSchema>> = {
  kind: 'scaleMixture',
  schema: scaleMixturePriorSchema,
  label: 'scale mixture of two Normals',
  noun: 'scale-mixture prior',
  describe: (prior) =>
    `${prior.learned ? 'learned ' : ''}scale-mixture prior (π ${formatMetric(prior.pi)}, σ1 ${formatMetric(prior.sigma1)}, σ2 ${formatMetric(prior.sigma2)})`,
  // A mixture of Normals has no closed-form KL from a Normal posterior.
  hasClosedFormKl: false,
  fields: [
    { key: 'prior.pi', label: 'Mixture π', control: 'number' },
    { key: 'prior.sigma1', label: 'Mixture σ1', control: 'number' },
    { key: 'prior.sigma2', label: 'Mixture σ2', control: 'number' },
    { key: 'prior.learned', label: 'learn π, σ1, σ2', control: 'checkbox' },
  ],
  fieldDefaults: { 'prior.pi': '0.2', 'prior.sigma1': '1', 'prior.sigma2': '0.1', 'prior.learned': true },
};

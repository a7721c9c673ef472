/**
 * Mean-field variational inference (Bayes by Backprop, Blundell et al. 2015): a factorised Normal
 * posterior over every weight, trained on the ELBO; the estimator says how a weight sample enters
 * the forward pass (reparameterization, local reparameterization — Kingma et al. 2015 — or
 * Flipout — Wen et al. 2018).
 */
import { z } from 'zod';
import { estimatorSchema } from '../../estimators/index';
import { defineMethod } from '../method';

export const viOptionsSchema = z.object({ estimator: estimatorSchema.default('flipout') });
export type ViOptions = z.infer<typeof viOptionsSchema>;

export const viMethod = defineMethod({
  id: 'vi',
  cliName: 'vi',
  label: 'Mean-field VI',
  description: 'Bayes by Backprop (Blundell et al. 2015): a Normal posterior over every weight, trained on the ELBO.',
  optionsSchema: viOptionsSchema,
  capabilities: {
    hasEpistemicPart: true,
    needsSampling: true,
    postHoc: false,
    appliesTo: ['classification', 'regression'],
  },
  penalty: { symbol: 'ΣKL', axis: 'ΣKL (nats, unweighted)', weightLabel: 'KL weight' },
});

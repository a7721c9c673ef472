/**
 * Deep ensemble (Lakshminarayanan et al. 2017, "Simple and Scalable Predictive Uncertainty
 * Estimation using Deep Ensembles"): M independently initialised deterministic members trained in
 * one run; the predictive is their uniform mixture. For regression each member predicts a mean and
 * a variance (Gaussian NLL), as in the paper.
 */
import { z } from 'zod';
import { defineMethod } from '../method';
import { countOption } from './countOption';
import { weightDecayPenalty, weightDecaySchema } from './deterministic';

export const ensembleOptionsSchema = z.object({
  members: countOption({
    what: 'ensemble members',
    min: 2,
    max: 20,
    usual: '5',
    tooFew: (found) =>
      `An ensemble needs at least 2 members (found ${found}); a single member is the deterministic method: ` +
      'choose the deterministic method, or 2 or more members (5 for everyday use, 10 as in the published tables).',
  }).default(5),
  weightDecay: weightDecaySchema.default(5e-4),
});
export type EnsembleOptions = z.infer<typeof ensembleOptionsSchema>;

export const ensembleMethod = defineMethod({
  id: 'ensemble',
  cliName: 'ensemble',
  label: 'Deep ensemble',
  description:
    'M independently initialised networks trained together; the predictive is their mixture (Lakshminarayanan et al. 2017).',
  optionsSchema: ensembleOptionsSchema,
  capabilities: {
    hasEpistemicPart: true,
    needsSampling: false,
    postHoc: false,
    appliesTo: ['classification', 'regression'],
  },
  penalty: weightDecayPenalty,
  describeTraining: (options) => `deep ensemble of ${options.members}, weight decay ${options.weightDecay}`,
  describePasses: (count) => `M = ${count} members`,
});

/**
 * Last-layer Laplace (Daxberger et al. 2021, "Laplace Redux"): a Gaussian over the last layer's
 * weights and bias of a deterministic run, centred at its MAP, with precision GGN + δI (the GGN
 * diagonal or Kronecker-factored); δ chosen by the Laplace marginal likelihood or on a validation
 * split; probit or Monte Carlo predictive for classification (a regression run's predictive is
 * Gaussian in closed form, so `predictive` does not apply to it).
 */
import { z } from 'zod';
import { defineMethod } from '../method';
import { countOption } from './countOption';
import { validationFractionSchema } from './temperatureScaling';

export const laplaceOptionsSchema = z.object({
  hessian: z.enum(['diagonal', 'kron']).default('kron'),
  priorPrecision: z.enum(['marginalLikelihood', 'validation']).default('marginalLikelihood'),
  /**
   * 'probit' as laplace-torch; 'probitCentred' leaves out the shift common to every logit, which
   * softmax ignores (closer to MC: core/methods/laplace); 'mc' samples last-layer weights.
   */
  predictive: z.enum(['probit', 'probitCentred', 'mc']).default('probit'),
  /** Weight samples of the MC predictive. */
  samples: countOption({
    what: 'Laplace samples',
    min: 2,
    max: 10_000,
    usual: '100',
    tooFew: (found) => `The MC predictive needs at least 2 weight samples (found ${found}); 100 is usual.`,
  }).default(100),
  /** Used when priorPrecision is 'validation'. */
  validationFraction: validationFractionSchema.default(0.1),
});
export type LaplaceOptions = z.infer<typeof laplaceOptionsSchema>;

export const laplaceMethod = defineMethod({
  id: 'laplace',
  cliName: 'laplace',
  label: 'Last-layer Laplace',
  description:
    "A Gaussian over the last layer's weights of a deterministic run, GGN precision, marginal-likelihood prior (Daxberger et al. 2021).",
  optionsSchema: laplaceOptionsSchema,
  capabilities: {
    hasEpistemicPart: true,
    // Probit by default; the MC predictive samples last-layer weights only.
    needsSampling: false,
    postHoc: true,
    appliesTo: ['classification', 'regression'],
    requiresMethod: ['deterministic'],
    fitsOnValidationSplit: ['classification'],
  },
});

/**
 * MC dropout (Gal & Ghahramani 2016, "Dropout as a Bayesian Approximation"): inverted dropout
 * before each weight layer, kept on at prediction time; the predictive is the mean of T stochastic
 * passes, p(y|x) ≈ (1/T) Σ_t p(y | x, mask_t), an approximate posterior over weights whose
 * mutual information is the epistemic part.
 */
import { z } from 'zod';
import { defineMethod } from '../method';
import { countOption } from './countOption';
import { weightDecayPenalty, weightDecaySchema } from './deterministic';

export const dropoutRateSchema = z.number().refine((rate) => rate >= 0 && rate < 1, {
  error: (issue) =>
    `The dropout rate must be in [0, 1) (found ${String(issue.input)}): it is the probability of dropping a unit, ` +
    '0 keeps every unit (the deterministic net) and 1 would drop them all; 0.05–0.5 are usual.',
});

export const mcDropoutOptionsSchema = z.object({
  rate: dropoutRateSchema.default(0.1),
  passes: countOption({
    what: 'MC dropout passes',
    min: 2,
    max: 1000,
    usual: '50',
    tooFew: (found) => `MC dropout needs at least 2 stochastic passes to average (found ${found}); 50 is usual.`,
  }).default(50),
  weightDecay: weightDecaySchema.default(5e-4),
});
export type McDropoutOptions = z.infer<typeof mcDropoutOptionsSchema>;

const describeDropoutPasses = (count: number) => `T = ${count} passes`;

export const mcDropoutMethod = defineMethod({
  id: 'mcDropout',
  cliName: 'mc-dropout',
  label: 'MC dropout',
  description:
    'Dropout before each weight layer, kept on at prediction time, T passes averaged (Gal & Ghahramani 2016).',
  optionsSchema: mcDropoutOptionsSchema,
  capabilities: {
    hasEpistemicPart: true,
    needsSampling: true,
    postHoc: false,
    appliesTo: ['classification', 'regression'],
  },
  penalty: weightDecayPenalty,
  describeTraining: (options) =>
    `MC dropout p = ${options.rate}, ${describeDropoutPasses(options.passes)}, weight decay ${options.weightDecay}`,
  describePasses: describeDropoutPasses,
});

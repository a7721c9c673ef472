/**
 * The deterministic network: point weights at the MAP under a N(0, 1/δ) prior, i.e. weight decay.
 * With a loss of mean NLL + (weightDecay / 2) Σ w², the MAP is that of a Gaussian prior of
 * precision δ = N_train · weightDecay (the objective times N is Σ NLL + (δ/2) Σ w²); last-layer
 * Laplace starts from that δ. One forward pass per prediction.
 */
import { z } from 'zod';
import { defineMethod, type LossPenalty } from '../method';

export const weightDecaySchema = z
  .number()
  .min(0, {
    error: (issue) => `The weight decay must be 0 or more (found ${String(issue.input)}); 5e-4 is a usual value.`,
  })
  .max(1, {
    error: (issue) =>
      `A weight decay of ${String(issue.input)} would pull every weight to 0; use a value at most 1 (5e-4 is usual).`,
  });

/** Every point-weight method's loss term: mean NLL + weightDecay · ½Σw². */
export const weightDecayPenalty: LossPenalty = {
  symbol: '½Σw²',
  axis: '½Σw² (weight-decay term, unweighted)',
  weightLabel: 'weight decay',
};

export const deterministicOptionsSchema = z.object({ weightDecay: weightDecaySchema.default(5e-4) });
export type DeterministicOptions = z.infer<typeof deterministicOptionsSchema>;

export const deterministicMethod = defineMethod({
  id: 'deterministic',
  cliName: 'deterministic',
  label: 'Deterministic (MAP)',
  description:
    'The same network with point weights, trained to the MAP with weight decay; one forward pass per prediction.',
  optionsSchema: deterministicOptionsSchema,
  capabilities: {
    hasEpistemicPart: false,
    needsSampling: false,
    postHoc: false,
    appliesTo: ['classification', 'regression'],
  },
  penalty: weightDecayPenalty,
  describeTraining: (options) => `MAP, weight decay ${options.weightDecay}`,
  describePasses: () => 'one pass',
});

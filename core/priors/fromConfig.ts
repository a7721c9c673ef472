/** Builds the prior factory a run configuration names. */
import type { PriorConfig } from '../contract/runConfig';
import { fixedNormalPrior } from './fixedNormal';
import type { PriorFactory } from './prior';
import { scaleMixturePrior } from './scaleMixture';
import { trainableNormalPrior } from './trainableNormal';

export interface PriorChoice {
  factory: PriorFactory;
  /** Resources shared by all layers (the learned mixture), disposed with the network. */
  owned: { dispose(): void }[];
}

export function priorFromConfig(prior: PriorConfig): PriorChoice {
  switch (prior.kind) {
    case 'normal':
      return { factory: fixedNormalPrior(prior.scale), owned: [] };
    case 'trainableNormal':
      return { factory: trainableNormalPrior(), owned: [] };
    case 'scaleMixture': {
      const factory = scaleMixturePrior(prior);
      return { factory, owned: [factory.shared] };
    }
  }
}

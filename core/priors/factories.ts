/**
 * The tfjs factory of each prior family, one line each; the worker side of ./kinds/index.ts.
 * `owned` lists resources shared by all layers (the learned mixture), disposed with the network.
 */
import type { PriorConfig, PriorKindName } from './kinds/index';
import { fixedNormalPrior } from './fixedNormal';
import type { PriorFactory } from './prior';
import { scaleMixturePrior } from './scaleMixture';
import { trainableNormalPrior } from './trainableNormal';

export interface PriorChoice {
  factory: PriorFactory;
  /** Resources shared by all layers (the learned mixture), disposed with the network. */
  owned: { dispose(): void }[];
}

type FactoryOf = { [K in PriorKindName]: (config: Extract<PriorConfig, { kind: K }>) => PriorChoice };

export const priorFactories: FactoryOf = {
  normal: (prior) => ({ factory: fixedNormalPrior(prior.scale), owned: [] }),
  trainableNormal: () => ({ factory: trainableNormalPrior(), owned: [] }),
  scaleMixture: (prior) => {
    const factory = scaleMixturePrior(prior);
    return { factory, owned: [factory.shared] };
  },
};

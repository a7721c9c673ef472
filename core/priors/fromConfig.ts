/** Builds the prior factory a run configuration names, through the registry of ./factories.ts. */
import type { PriorConfig } from './kinds/index';
import { priorFactories, type PriorChoice } from './factories';

export type { PriorChoice };

export function priorFromConfig(prior: PriorConfig): PriorChoice {
  const build = priorFactories[prior.kind] as (config: PriorConfig) => PriorChoice;
  return build(prior);
}

/**
 * A configuration's resource estimate, asked of its experiment's descriptor, so the host and the
 * worker check a configuration without naming experiments.
 */
import { descriptorOf } from './registry';
import { budgetProblems, type ResourceEstimate } from './resourceBudget';

export function estimateResources(config: { experiment: string }): ResourceEstimate {
  return descriptorOf(config).estimateResources(config);
}

/** Why the workbench will not run `config` (sentences naming the number, the limit and the fix), or an empty list. */
export function runBudgetProblems(config: { experiment: string }): string[] {
  return budgetProblems(estimateResources(config));
}

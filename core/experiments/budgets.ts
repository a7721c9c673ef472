/**
 * Every experiment's resource estimate (./<name>/budget.ts), keyed by the configuration's
 * `experiment` field, so the host and the worker check a configuration without naming experiments.
 * One line per experiment.
 */
import type { RunConfig } from '../contract/runConfig';
import { lenet5Budget } from './lenet5/budget';
import { budgetProblems, type ResourceEstimate } from './resourceBudget';
import { sinusoidBudget } from './sinusoid/budget';

const budgets: { [E in RunConfig['experiment']]: (config: Extract<RunConfig, { experiment: E }>) => ResourceEstimate } = {
  sinusoid: sinusoidBudget,
  lenet5: lenet5Budget,
};

export function estimateResources(config: RunConfig): ResourceEstimate {
  return (budgets[config.experiment] as (config: RunConfig) => ResourceEstimate)(config);
}

/** Why the workbench will not run `config` (sentences naming the number, the limit and the fix), or an empty list. */
export function runBudgetProblems(config: RunConfig): string[] {
  return budgetProblems(estimateResources(config));
}

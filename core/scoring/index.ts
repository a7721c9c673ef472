/** One list of metrics per task kind. */
import { classificationMetrics } from './classification';
import type { MetricDefinition } from './metric';
import { regressionMetrics } from './regression';

export type TaskKind = 'regression' | 'classification';

export const metricsByTaskKind: Readonly<Record<TaskKind, readonly MetricDefinition[]>> = {
  regression: regressionMetrics,
  classification: classificationMetrics,
};

/** The lists merged in order, each metric once (by id): what several runs of different kinds have between them. */
export function unionOfMetrics(lists: readonly (readonly MetricDefinition[])[]): MetricDefinition[] {
  const seen = new Map<string, MetricDefinition>();
  for (const list of lists) for (const metric of list) if (!seen.has(metric.id)) seen.set(metric.id, metric);
  return [...seen.values()];
}

export type { MetricContext, MetricDefinition, MetricSource } from './metric';
export { withLossPenalty } from './training';

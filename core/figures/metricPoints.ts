/**
 * A metric's values in a run's folded events (./runData), read where its definition says they
 * are (core/scoring): per training step, per held-out evaluation, or in the latest predictive
 * snapshot. What compare, reports and the CSV export share.
 */
import type { MetricContext, MetricDefinition } from '../scoring/index';
import type { RunData } from './runData';

export interface MetricReading {
  step: number;
  value: number;
  /** What a report's label may quote (draws, images, threshold of the evaluation). */
  context: MetricContext;
}

/** Every value of the metric in the run, in step order (NaN where an event lacks it). */
export function readMetric(metric: Pick<MetricDefinition, 'source'>, data: RunData): MetricReading[] {
  const { source } = metric;
  switch (source.event) {
    case 'metrics': {
      const values = data.metrics[source.field];
      return data.metrics.step.map((step, i) => ({ step, value: values[i] ?? Number.NaN, context: { step } }));
    }
    case 'heldout':
      return data.evaluations.map((event) => ({
        step: event.step,
        // A score added after a run was made (Brier, AURC) is missing from its events: no value, not 0.
        value: event[source.field] ?? Number.NaN,
        context: { step: event.step, draws: event.draws, images: event.images, threshold: event.threshold },
      }));
    case 'regression':
      return data.regression
        ? [
            {
              step: data.regression.step,
              // A method without an epistemic part has no std ratio (null): no value, not 0.
              value: data.regression[source.field] ?? Number.NaN,
              context: { step: data.regression.step },
            },
          ]
        : [];
  }
}

export interface Point {
  x: number;
  y: number;
}

/** The run's finite values of the metric as (step, value): what a chart plots. */
export function metricPoints(metric: Pick<MetricDefinition, 'source'>, data: RunData): Point[] {
  return readMetric(metric, data)
    .filter((reading) => Number.isFinite(reading.value))
    .map((reading) => ({ x: reading.step, y: reading.value }));
}

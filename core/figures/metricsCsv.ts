/**
 * A run's metrics as CSV, for a spreadsheet or pandas: one column per metric of the run's
 * experiment (its descriptor's list, core/scoring), one `train` row per step, one `heldout` row
 * per evaluation and one `regression` row per predictive snapshot kept (the latest), each filled
 * with the metrics its event carries. One header for all rows; a column a row does not have is
 * empty. Raw values: fractions, not percent.
 */
import type { RunConfig } from '../contract/runConfig';
import { descriptorOf } from '../experiments/registry';
import type { MetricDefinition, MetricSource } from '../scoring/index';
import { csvField } from './csvField';
import { readMetric } from './metricPoints';
import type { RunData } from './runData';

/** The row kind of each event a metric can come from. */
const rowKinds: Record<MetricSource['event'], string> = {
  metrics: 'train',
  heldout: 'heldout',
  regression: 'regression',
};

/** The CSV columns of a run of this experiment: kind, step and one per metric. */
export function metricsCsvColumns(config: Pick<RunConfig, 'experiment'>): string[] {
  return ['kind', 'step', ...descriptorOf(config).metrics.map((metric) => metric.csvColumn)];
}

export function runMetricsCsv(data: RunData, config: Pick<RunConfig, 'experiment'>): string {
  const metrics: readonly MetricDefinition[] = descriptorOf(config).metrics;
  const lines = [metricsCsvColumns(config).join(',')];
  for (const event of ['metrics', 'heldout', 'regression'] as const) {
    const columns = metrics.map((metric) => (metric.source.event === event ? readMetric(metric, data) : null));
    const rowCount = Math.max(0, ...columns.map((readings) => readings?.length ?? 0));
    for (let i = 0; i < rowCount; i += 1) {
      const step = columns.find((readings) => readings && readings[i])?.[i].step;
      lines.push(
        [rowKinds[event], String(step), ...columns.map((readings) => csvField(readings?.[i]?.value))].join(','),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Per-step training metrics every variational run has: loss = NLL + w·ΣKL, its parts and the weight w. */
import type { LossPenalty } from '../methods/method';
import type { MetricDefinition } from './metric';

export const trainingMetrics: readonly MetricDefinition[] = [
  {
    id: 'loss',
    label: 'loss',
    axis: 'loss (nats)',
    unit: 'nats',
    direction: 'lower',
    format: 'number',
    source: { event: 'metrics', field: 'loss' },
    csvColumn: 'loss',
    logScale: true,
    plotScale: 1,
    compared: true,
    reportLabel: ({ step }) => `loss at step ${step}`,
  },
  {
    id: 'nll',
    label: 'NLL',
    axis: 'NLL (nats)',
    unit: 'nats',
    direction: 'lower',
    format: 'number',
    source: { event: 'metrics', field: 'nll' },
    csvColumn: 'nll',
    logScale: true,
    plotScale: 1,
    compared: true,
    reportLabel: () => 'NLL',
  },
  {
    id: 'kl',
    label: 'ΣKL',
    axis: 'ΣKL (nats, unweighted)',
    unit: 'nats',
    direction: 'none',
    format: 'number',
    source: { event: 'metrics', field: 'kl' },
    csvColumn: 'kl',
    logScale: true,
    plotScale: 1,
    compared: true,
    reportLabel: () => 'ΣKL (unweighted)',
  },
  {
    id: 'klWeight',
    label: 'KL weight',
    axis: 'KL weight w',
    unit: '',
    direction: 'none',
    format: 'klWeight',
    source: { event: 'metrics', field: 'klWeight' },
    csvColumn: 'kl_weight',
    logScale: true,
    plotScale: 1,
    compared: false,
    reportLabel: () => 'KL weight',
  },
];

/**
 * The definitions with the loss's second term named as the runs' method has it (`kl` and
 * `klWeight` carry a point method's ½Σw² and weight decay): every other definition is returned as is.
 */
export function withLossPenalty(definitions: readonly MetricDefinition[], penalty: LossPenalty): MetricDefinition[] {
  return definitions.map((definition) => {
    if (definition.source.event !== 'metrics') return definition;
    if (definition.source.field === 'kl')
      return {
        ...definition,
        label: penalty.symbol,
        axis: penalty.axis,
        reportLabel: () => `${penalty.symbol} (unweighted)`,
      };
    if (definition.source.field === 'klWeight')
      return {
        ...definition,
        label: penalty.weightLabel,
        axis: `${penalty.weightLabel} w`,
        reportLabel: () => penalty.weightLabel,
      };
    return definition;
  });
}

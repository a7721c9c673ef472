/** Per-step training metrics every variational run has: loss = NLL + w·ΣKL, its parts and the weight w. */
import type { MetricDefinition } from './metric';

export const trainingMetrics: readonly MetricDefinition[] = [
  {
    id: 'loss', label: 'loss', axis: 'loss (nats)', unit: 'nats', direction: 'lower', format: 'number',
    source: { event: 'metrics', field: 'loss' }, csvColumn: 'loss', logScale: true, plotScale: 1, compared: true,
    reportLabel: ({ step }) => `loss at step ${step}`,
  },
  {
    id: 'nll', label: 'NLL', axis: 'NLL (nats)', unit: 'nats', direction: 'lower', format: 'number',
    source: { event: 'metrics', field: 'nll' }, csvColumn: 'nll', logScale: true, plotScale: 1, compared: true,
    reportLabel: () => 'NLL',
  },
  {
    id: 'kl', label: 'ΣKL', axis: 'ΣKL (nats, unweighted)', unit: 'nats', direction: 'none', format: 'number',
    source: { event: 'metrics', field: 'kl' }, csvColumn: 'kl', logScale: true, plotScale: 1, compared: true,
    reportLabel: () => 'ΣKL (unweighted)',
  },
  {
    id: 'klWeight', label: 'KL weight', axis: 'KL weight w', unit: '', direction: 'none', format: 'klWeight',
    source: { event: 'metrics', field: 'klWeight' }, csvColumn: 'kl_weight', logScale: true, plotScale: 1, compared: false,
    reportLabel: () => 'KL weight',
  },
];

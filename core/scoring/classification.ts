/**
 * The metrics of a classification run: training-batch accuracy per step, and per held-out
 * evaluation over T posterior draws the held-out nats (mean log p(y_true) of the mean predictive),
 * accuracy, expected calibration error and the refusal rates at the run's threshold.
 */
import { formatMetric } from '../figures/format';
import type { MetricDefinition } from './metric';
import { trainingMetrics } from './training';

export const classificationMetrics: readonly MetricDefinition[] = [
  ...trainingMetrics,
  {
    id: 'trainAccuracy', label: 'batch accuracy', axis: 'training-batch accuracy (%)', unit: '', direction: 'higher', format: 'percent',
    source: { event: 'metrics', field: 'accuracy' }, csvColumn: 'train_accuracy', logScale: false, plotScale: 100, compared: true,
  },
  {
    id: 'heldoutNats', label: 'held-out nats', axis: 'held-out nats (mean log p(y_true), nats)', unit: 'nats', direction: 'higher', format: 'number',
    source: { event: 'heldout', field: 'heldoutNats' }, csvColumn: 'heldout_nats', logScale: false, plotScale: 1, compared: true,
    reportLabel: ({ step, draws }) => `held-out nats (step ${step}, T = ${draws})`,
  },
  {
    id: 'heldoutAccuracy', label: 'held-out accuracy', axis: 'held-out accuracy (%)', unit: '', direction: 'higher', format: 'percent', percentDigits: 2,
    source: { event: 'heldout', field: 'accuracy' }, csvColumn: 'heldout_accuracy', logScale: false, plotScale: 100, compared: true,
    reportLabel: ({ images }) => `held-out accuracy (${images} images)`,
  },
  {
    id: 'ece', label: 'ECE', axis: 'ECE (probability, 0 = calibrated)', unit: '', direction: 'lower', format: 'number',
    source: { event: 'heldout', field: 'ece' }, csvColumn: 'ece', logScale: false, plotScale: 1, compared: true,
    reportLabel: () => 'expected calibration error',
  },
  {
    id: 'noiseRefusal', label: 'noise refused', axis: 'noise images refused (%)', unit: '', direction: 'higher', format: 'percent',
    source: { event: 'heldout', field: 'noiseRefusal' }, csvColumn: 'noise_refusal', logScale: false, plotScale: 100, compared: true,
    reportLabel: () => 'noise images refused',
  },
  {
    id: 'digitRefusal', label: 'digits refused', axis: 'held-out digits refused (%)', unit: '', direction: 'lower', format: 'percent',
    source: { event: 'heldout', field: 'digitRefusal' }, csvColumn: 'digit_refusal', logScale: false, plotScale: 100, compared: true,
    reportLabel: ({ threshold }) => `digits refused (max p < ${formatMetric(threshold ?? Number.NaN)})`,
  },
  {
    id: 'meanMaxProbabilityNoise', label: 'mean max p on noise', axis: 'mean max class probability on noise', unit: '', direction: 'lower', format: 'number',
    source: { event: 'heldout', field: 'meanMaxProbabilityNoise' }, csvColumn: 'mean_max_p_noise', logScale: false, plotScale: 1, compared: false,
    reportLabel: () => 'mean max p on noise',
  },
  {
    id: 'evaluationDraws', label: 'posterior draws T', axis: 'posterior draws T', unit: '', direction: 'none', format: 'number',
    source: { event: 'heldout', field: 'draws' }, csvColumn: 'draws', logScale: false, plotScale: 1, compared: false,
  },
  {
    id: 'evaluationImages', label: 'held-out images', axis: 'held-out images', unit: '', direction: 'none', format: 'number',
    source: { event: 'heldout', field: 'images' }, csvColumn: 'images', logScale: false, plotScale: 1, compared: false,
  },
];

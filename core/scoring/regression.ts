/**
 * The metrics of a regression run: the training fit's MSE per step, and the figures of merit of
 * its latest predictive band (core/scoring/bandFiguresOfMerit.ts): how much wider the band is
 * outside the data than inside, how close its mean is to the true function inside, and how much
 * of that function the ±2σ band covers.
 */
import type { MetricDefinition } from './metric';
import { trainingMetrics } from './training';

export const regressionMetrics: readonly MetricDefinition[] = [
  ...trainingMetrics,
  {
    id: 'mse',
    label: 'MSE',
    axis: 'training MSE (output units²)',
    unit: 'output units²',
    direction: 'lower',
    format: 'number',
    source: { event: 'metrics', field: 'mse' },
    csvColumn: 'mse',
    logScale: true,
    plotScale: 1,
    compared: true,
  },
  {
    id: 'stdRatio',
    label: 'σ outside ÷ inside',
    axis: 'predictive σ outside ÷ inside the data',
    unit: '',
    direction: 'higher',
    format: 'number',
    source: { event: 'regression', field: 'stdRatio' },
    csvColumn: 'std_ratio',
    logScale: false,
    plotScale: 1,
    compared: false,
    reportLabel: ({ step }) => `σ outside ÷ inside the data (step ${step})`,
  },
  {
    id: 'rmseInside',
    label: 'RMSE inside',
    axis: 'RMSE of the mean inside the data (output units)',
    unit: 'output units',
    direction: 'lower',
    format: 'number',
    source: { event: 'regression', field: 'rmseInside' },
    csvColumn: 'rmse_inside',
    logScale: false,
    plotScale: 1,
    compared: false,
    reportLabel: () => 'RMSE inside the data',
  },
  {
    id: 'coverageInside',
    label: 'coverage inside',
    axis: 'true function inside ±2σ, within the data (%)',
    unit: '',
    direction: 'higher',
    format: 'percent',
    percentDigits: 0,
    source: { event: 'regression', field: 'coverageInside' },
    csvColumn: 'coverage_inside',
    logScale: false,
    plotScale: 100,
    compared: false,
    reportLabel: () => 'coverage of ±2σ inside',
  },
];

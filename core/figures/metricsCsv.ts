/**
 * A run's metrics as CSV, for a spreadsheet or pandas: one `train` row per step (loss, NLL, ΣKL,
 * KL weight, batch accuracy or MSE), then one `heldout` row per evaluation (held-out nats,
 * accuracy, ECE, refusals) and one `regression` row per predictive snapshot kept (the latest).
 * One header for all rows; a column a row does not have is empty. Raw values: fractions, not percent.
 */
import { csvField } from './csvField';
import type { RunData } from './runData';

const columns = [
  'kind',
  'step',
  'loss',
  'nll',
  'kl',
  'kl_weight',
  'train_accuracy',
  'mse',
  'heldout_nats',
  'heldout_accuracy',
  'ece',
  'digit_refusal',
  'noise_refusal',
  'mean_max_p_noise',
  'draws',
  'images',
  'std_ratio',
  'rmse_inside',
  'coverage_inside',
] as const;
type Column = (typeof columns)[number];

function row(values: Partial<Record<Column, number | string>>): string {
  return columns.map((column) => csvField(values[column])).join(',');
}

export function runMetricsCsv(data: RunData): string {
  const lines = [columns.join(',')];
  const m = data.metrics;
  for (let i = 0; i < m.step.length; i += 1) {
    lines.push(
      row({ kind: 'train', step: m.step[i], loss: m.loss[i], nll: m.nll[i], kl: m.kl[i], kl_weight: m.klWeight[i], train_accuracy: m.accuracy[i], mse: m.mse?.[i] }),
    );
  }
  for (const e of data.evaluations) {
    lines.push(
      row({
        kind: 'heldout',
        step: e.step,
        heldout_nats: e.heldoutNats,
        heldout_accuracy: e.accuracy,
        ece: e.ece,
        digit_refusal: e.digitRefusal,
        noise_refusal: e.noiseRefusal,
        mean_max_p_noise: e.meanMaxProbabilityNoise,
        draws: e.draws,
        images: e.images,
      }),
    );
  }
  const r = data.regression;
  if (r) lines.push(row({ kind: 'regression', step: r.step, std_ratio: r.stdRatio, rmse_inside: r.rmseInside, coverage_inside: r.coverageInside }));
  return `${lines.join('\n')}\n`;
}

/** The caption every figure carries: the run's name and the settings that change what it shows. */
import type { PriorConfig, RunConfig } from '../contract/runConfig';
import { formatMetric } from './format';
import type { FigureRun } from './types';

export function describePrior(prior: PriorConfig): string {
  switch (prior.kind) {
    case 'normal':
      return `N(0, ${formatMetric(prior.scale)}²) prior`;
    case 'trainableNormal':
      return 'N(m, 1) prior, m trained';
    case 'scaleMixture':
      return `${prior.learned ? 'learned ' : ''}scale-mixture prior (π ${formatMetric(prior.pi)}, σ1 ${formatMetric(prior.sigma1)}, σ2 ${formatMetric(prior.sigma2)})`;
  }
}

function describeKlWeight(config: RunConfig): string {
  if (config.klWeight !== null) return `KL weight ${formatMetric(config.klWeight)}`;
  if (config.experiment !== 'lenet5') return 'KL weight 1/batches';
  return config.klScale === 1 ? 'KL weight 1/N_train' : `KL weight ${formatMetric(config.klScale)}/N_train`;
}

/** Key settings in one line, e.g. "LeNet5 on mnist · flipout · N(0, 1²) prior · analytic KL, KL weight 1/N_train · Adam 0.001 · …". */
export function describeSettings(config: RunConfig): string {
  const common = [describePrior(config.prior), `${config.kl === 'analytic' ? 'analytic' : 'Monte Carlo'} KL, ${describeKlWeight(config)}`, `Adam ${formatMetric(config.learningRate)}`];
  if (config.experiment === 'lenet5') {
    return [
      `LeNet5 on ${config.dataset}`,
      config.estimator,
      ...common,
      `batch ${config.batchSize}`,
      `${config.steps} steps`,
      `T = ${config.evalDraws} draws`,
      `seed ${config.seed}`,
    ].join(' · ');
  }
  return [
    'sinusoid',
    config.estimator,
    ...common,
    `${config.samplesPerStep} sample${config.samplesPerStep === 1 ? '' : 's'}/step`,
    `${config.epochs} epochs`,
    `seed ${config.seed}`,
  ].join(' · ');
}

export function figureCaption(run: FigureRun): string {
  const backend = run.backend ? ` · ${run.backend.name}` : '';
  return `${run.name} — ${describeSettings(run.config)}${backend}`;
}

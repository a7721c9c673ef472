/** The caption every figure carries: the run's name and the settings that change what it shows. */
import type { RunConfig } from '../contract/runConfig';
import { descriptorOf } from '../experiments/registry';
import { describePrior } from '../priors/kinds/index';
import { formatMetric } from './format';
import type { FigureRun } from './types';

export { describePrior };

function describeKlWeight(config: RunConfig): string {
  if (config.klWeight !== null) return `KL weight ${formatMetric(config.klWeight)}`;
  return descriptorOf(config).klWeightDefault.caption(config);
}

/** Key settings in one line, e.g. "LeNet5 on mnist · flipout · N(0, 1²) prior · analytic KL, KL weight 1/N_train · Adam 0.001 · …". */
export function describeSettings(config: RunConfig): string {
  const inference = [
    describePrior(config.prior),
    `${config.kl === 'analytic' ? 'analytic' : 'Monte Carlo'} KL, ${describeKlWeight(config)}`,
    `Adam ${formatMetric(config.learningRate)}`,
  ];
  return descriptorOf(config).describeSettings(config, inference).join(' · ');
}

export function figureCaption(run: FigureRun): string {
  const backend = run.backend ? ` · ${run.backend.name}` : '';
  return `${run.name} — ${describeSettings(run.config)}${backend}`;
}

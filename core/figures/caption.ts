/** The caption every figure carries: the run's name and the settings that change what it shows. */
import type { RunConfig } from '../contract/runConfig';
import { descriptorOf } from '../experiments/registry';
import { rawMethodOptions } from '../contract/methodConfig';
import type { MethodSettingsText } from '../experiments/descriptor';
import { methods } from '../methods/index';
import type { MethodDescriptor } from '../methods/method';
import { describePrior } from '../priors/kinds/index';
import { formatMetric } from './format';
import type { FigureRun } from './types';

export { describePrior };

function describeKlWeight(config: RunConfig): string {
  if (config.klWeight !== null) return `KL weight ${formatMetric(config.klWeight)}`;
  return descriptorOf(config).klWeightDefault.caption(config);
}

/** The method's part: VI's estimator, prior and KL, or a point-weight method's own description. */
function methodSettings(config: RunConfig): MethodSettingsText {
  const adam = `Adam ${formatMetric(config.learningRate)}`;
  const method: MethodDescriptor = methods[config.method];
  if (method.describeTraining) {
    const options = method.optionsSchema.parse(rawMethodOptions(config));
    return { estimator: null, training: [method.describeTraining(options), adam] };
  }
  return {
    estimator: config.estimator,
    training: [
      describePrior(config.prior),
      `${config.kl === 'analytic' ? 'analytic' : 'Monte Carlo'} KL, ${describeKlWeight(config)}`,
      adam,
    ],
  };
}

/**
 * Key settings in one line, e.g. "LeNet5 on mnist · flipout · N(0, 1²) prior · analytic KL, KL
 * weight 1/N_train · Adam 0.001 · …" (a deep ensemble: "LeNet5 on mnist · deep ensemble of 5,
 * weight decay 0.0005 · Adam 0.001 · …").
 */
export function describeSettings(config: RunConfig): string {
  return descriptorOf(config).describeSettings(config, methodSettings(config)).join(' · ');
}

export function figureCaption(run: FigureRun): string {
  const backend = run.backend ? ` · ${run.backend.name}` : '';
  return `${run.name} — ${describeSettings(run.config)}${backend}`;
}

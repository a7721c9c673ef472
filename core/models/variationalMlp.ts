/**
 * A variational MLP for 1-D regression: DenseVariational(hidden₁, relu) → … → DenseVariational(1),
 * every layer mean-field Normal with the run's prior, KL form and estimator (reparameterization or
 * local reparameterization). The seed's sinusoid network is hiddenUnits [20, 20].
 */
import type { KlForm, PriorConfig } from '../priors/kinds/index';
import type { PosteriorInit } from '../posteriors/meanFieldNormalSpec';
import { DenseLocalReparameterization, DenseReparameterization } from '../layers/denseVariational';
import { meanFieldNormalPosterior } from '../posteriors/meanFieldNormal';
import { priorFromConfig } from '../priors/fromConfig';
import type { SeedStream } from '../random/seedStream';
import { VariationalSequential } from './variationalSequential';

export interface VariationalMlpConfig {
  prior: PriorConfig;
  kl: KlForm;
  estimator: 'reparameterization' | 'local';
  init: PosteriorInit;
  hiddenUnits: number[];
}

export function variationalMlp(config: VariationalMlpConfig, seeds: SeedStream): VariationalSequential {
  const prior = priorFromConfig(config.prior);
  const makePosterior = meanFieldNormalPosterior(config.init);
  const Layer = config.estimator === 'local' ? DenseLocalReparameterization : DenseReparameterization;
  const widths = [...config.hiddenUnits, 1];
  let inputUnits = 1;
  const layers = widths.map((units, index) => {
    const layer = new Layer({
      name: `dense${index + 1}`,
      units,
      activation: index < widths.length - 1 ? 'relu' : 'linear',
      makePosterior,
      makePrior: prior.factory,
      klForm: config.kl,
    }).buildFor(inputUnits, seeds.next());
    inputUnits = units;
    return layer;
  });
  return new VariationalSequential(layers, prior.owned);
}

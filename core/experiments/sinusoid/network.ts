/** The seed's regression network: DenseVariational(20, relu) → DenseVariational(20, relu) → DenseVariational(1). */
import type { SinusoidConfig } from '../../contract/runConfig';
import { DenseLocalReparameterization, DenseReparameterization } from '../../layers/denseVariational';
import { VariationalSequential } from '../../models/variationalSequential';
import { meanFieldNormalPosterior } from '../../posteriors/meanFieldNormal';
import { priorFromConfig } from '../../priors/fromConfig';
import type { SeedStream } from '../../random/seedStream';

export function sinusoidNetwork(config: SinusoidConfig, seeds: SeedStream): VariationalSequential {
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

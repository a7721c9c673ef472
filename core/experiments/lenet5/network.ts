/**
 * Bayesian LeNet5 (the reference text's TFP model, with the classic LeNet5 padding by default):
 * Conv(6, 5×5, SAME, relu) → MaxPool 2×2 → Conv(16, 5×5, VALID, relu) → MaxPool 2×2 →
 * Conv(120, 5×5, VALID, relu) → Flatten → Dense(84, relu) → Dense(10) logits, every layer
 * variational with the estimator the run chose (Flipout by default). `convPadding: 'same'` pads
 * conv2 and conv3 too (layout.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Estimator, Lenet5Config } from '../../contract/runConfig';
import { IMAGE_SIZE } from '../../data/dataset';
import {
  Conv2DFlipout,
  Conv2DLocalReparameterization,
  Conv2DReparameterization,
  type Conv2DVariationalArgs,
  type Conv2DVariationalBase,
} from '../../layers/conv2dVariational';
import {
  DenseFlipout,
  DenseLocalReparameterization,
  DenseReparameterization,
  type DenseVariationalArgs,
  type DenseVariationalBase,
} from '../../layers/denseVariational';
import type { VariationalLayerArgs } from '../../layers/variationalLayer';
import { VariationalSequential, type DeterministicStage } from '../../models/variationalSequential';
import { meanFieldNormalPosterior } from '../../posteriors/meanFieldNormal';
import { priorFromConfig } from '../../priors/fromConfig';
import type { SeedStream } from '../../random/seedStream';
import { lenet5Layout } from './layout';

const convLayers: Record<Estimator, new (args: Conv2DVariationalArgs) => Conv2DVariationalBase> = {
  flipout: Conv2DFlipout,
  reparameterization: Conv2DReparameterization,
  local: Conv2DLocalReparameterization,
};
const denseLayers: Record<Estimator, new (args: DenseVariationalArgs) => DenseVariationalBase> = {
  flipout: DenseFlipout,
  reparameterization: DenseReparameterization,
  local: DenseLocalReparameterization,
};

const maxPool: DeterministicStage = {
  name: 'maxPool',
  apply: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'),
};
const flatten: DeterministicStage = {
  name: 'flatten',
  apply: (x) => tf.reshape(x, [x.shape[0], -1]),
};

export const LENET5_INPUT_SHAPE = [IMAGE_SIZE, IMAGE_SIZE, 1];

export function lenet5Network(
  config: Pick<Lenet5Config, 'estimator' | 'prior' | 'kl' | 'init'> & Partial<Pick<Lenet5Config, 'convPadding'>>,
  seeds: SeedStream,
): VariationalSequential {
  const layout = lenet5Layout(config.convPadding ?? 'classic');
  const prior = priorFromConfig(config.prior);
  const common: Omit<VariationalLayerArgs, 'name' | 'activation'> = {
    makePosterior: meanFieldNormalPosterior(config.init),
    makePrior: prior.factory,
    klForm: config.kl,
  };
  const Conv = convLayers[config.estimator];
  const Dense = denseLayers[config.estimator];
  const stages = [
    new Conv({ ...common, name: 'conv1', filters: 6, padding: 'same', activation: 'relu' }).buildFor(1, seeds.next()),
    maxPool,
    new Conv({ ...common, name: 'conv2', filters: 16, padding: layout.conv2Padding, activation: 'relu' }).buildFor(
      6,
      seeds.next(),
    ),
    maxPool,
    new Conv({ ...common, name: 'conv3', filters: 120, padding: layout.conv3Padding, activation: 'relu' }).buildFor(
      16,
      seeds.next(),
    ),
    flatten,
    new Dense({ ...common, name: 'dense1', units: 84, activation: 'relu' }).buildFor(layout.dense1Inputs, seeds.next()),
    new Dense({ ...common, name: 'dense2', units: 10 }).buildFor(84, seeds.next()),
  ];
  return new VariationalSequential(stages, prior.owned);
}

/**
 * A LeNet5 network rebuilt from a run's checkpoint, for classification only: the same layers as
 * the run (its estimator, prior and initialisation settings), every trainable variable set to the
 * checkpoint's values by stable name. The optimizer state in the checkpoint is not needed here.
 * The caller owns the network and disposes it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Lenet5Config } from '../contract/runConfig';
import { stableVariableName } from '../engine/variables';
import { rawMethodOptions, trainsPointWeights } from '../contract/methodConfig';
import { lenet5Network } from '../experiments/lenet5/network';
import { assertMethodCombination } from '../methods/index';
import { PointModel } from '../methods/pointModel';
import { pointLenet5Network } from '../models/pointNetworks';
import type { VariationalSequential } from '../models/variationalSequential';
import { SeedStream } from '../random/seedStream';
import type { NamedValues } from '../training/checkpoint';

export class CheckpointNetworkError extends Error {
  override name = 'CheckpointNetworkError';
}

/** The network a LeNet5 run of this config trained: variational, or its method's point network(s). */
export function lenet5NetworkOfRun(config: Lenet5Config, seeds: SeedStream): VariationalSequential | PointModel {
  if (!trainsPointWeights(config.method)) return lenet5Network(config, seeds);
  const { options } = assertMethodCombination({
    method: config.method,
    taskKind: 'classification',
    options: rawMethodOptions(config),
  });
  return new PointModel(
    { method: config.method, options },
    (networkOptions, networkSeeds) =>
      pointLenet5Network({ ...networkOptions, convPadding: config.convPadding }, networkSeeds),
    seeds,
  );
}

export function lenet5FromCheckpoint(
  config: Lenet5Config,
  variables: NamedValues[],
): VariationalSequential | PointModel {
  // The initial values are overwritten below; the seed only has to be valid.
  const network = lenet5NetworkOfRun(config, new SeedStream(config.seed).fork(1));
  return withCheckpointValues(network, variables);
}

/**
 * Sets every trainable variable of `network` to the checkpoint's value of the same stable name and
 * returns it; on a missing or misshapen value it disposes the network and throws.
 */
export function withCheckpointValues<N extends { trainableVariables: tf.Variable[]; dispose(): void }>(
  network: N,
  variables: NamedValues[],
): N {
  try {
    const stored = new Map(variables.map((entry) => [entry.name, entry]));
    for (const variable of network.trainableVariables) {
      const name = stableVariableName(variable.name);
      const entry = stored.get(name);
      if (!entry)
        throw new CheckpointNetworkError(
          `The checkpoint has no values for variable "${name}"; it is not a checkpoint of this run's network.`,
        );
      if (entry.shape.join('×') !== variable.shape.join('×')) {
        throw new CheckpointNetworkError(
          `Checkpoint variable "${name}" has shape [${entry.shape}]; the network's has [${variable.shape}].`,
        );
      }
      const value = tf.tensor(entry.values, entry.shape, 'float32');
      variable.assign(value);
      value.dispose();
    }
    return network;
  } catch (error) {
    network.dispose();
    throw error;
  }
}

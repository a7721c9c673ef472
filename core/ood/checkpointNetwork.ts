/**
 * A LeNet5 network rebuilt from a run's checkpoint, for classification only: the same layers as
 * the run (its estimator, prior and initialisation settings), every trainable variable set to the
 * checkpoint's values by stable name. The optimizer state in the checkpoint is not needed here.
 * The caller owns the network and disposes it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Lenet5Config } from '../contract/runConfig';
import { stableVariableName } from '../engine/variables';
import { lenet5Network } from '../experiments/lenet5/network';
import type { VariationalSequential } from '../models/variationalSequential';
import { SeedStream } from '../random/seedStream';
import type { NamedValues } from '../training/checkpoint';

export class CheckpointNetworkError extends Error {
  override name = 'CheckpointNetworkError';
}

export function lenet5FromCheckpoint(config: Lenet5Config, variables: NamedValues[]): VariationalSequential {
  // The initial values are overwritten below; the seed only has to be valid.
  const network = lenet5Network(config, new SeedStream(config.seed).fork(1));
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

/**
 * A stack of variational layers and deterministic stages (pooling, flatten), applied in order. The
 * network's KL is the sum of its layers' KL terms; its trainable variables are the posteriors' and
 * the priors' (a prior shared by every layer appears once).
 */
import * as tf from '@tensorflow/tfjs-core';
import { VariationalLayer, type ForwardContext } from '../layers/variationalLayer';

export type DeterministicStage = { name: string; apply: (x: tf.Tensor) => tf.Tensor };
export type Stage = VariationalLayer | DeterministicStage;

export interface NetworkOutput {
  output: tf.Tensor;
  /** Σ over layers of KL(q‖p) for this pass (unweighted). */
  kl: tf.Scalar;
}

export class VariationalSequential {
  readonly layers: VariationalLayer[];

  /** `owned` are extra disposables (a shared learned prior) freed with the network. */
  constructor(
    readonly stages: Stage[],
    private readonly owned: { dispose(): void }[] = [],
  ) {
    this.layers = stages.filter((stage): stage is VariationalLayer => stage instanceof VariationalLayer);
  }

  apply(input: tf.Tensor, context: ForwardContext): NetworkOutput {
    return tf.tidy(() => {
      let x = input;
      let kl: tf.Scalar = tf.scalar(0);
      for (const stage of this.stages) {
        if (stage instanceof VariationalLayer) {
          const result = stage.apply(x, context);
          x = result.output;
          kl = tf.add(kl, result.kl);
        } else {
          x = stage.apply(x);
        }
      }
      return { output: x, kl };
    });
  }

  get trainableVariables(): tf.Variable[] {
    return [...new Set(this.layers.flatMap((layer) => layer.trainableVariables))];
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
    for (const resource of this.owned) resource.dispose();
  }
}

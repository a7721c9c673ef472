/**
 * A network of point-weight layers (core/layers/deterministic), MC-dropout stages and parameter-free
 * stages (pooling, flatten), applied in order: the deterministic, MC-dropout and deep-ensemble
 * methods' network (an ensemble holds M of them). Its complexity term is Σ_layers ½ Σ w² (weight
 * decay), the counterpart of VariationalSequential's ΣKL.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isPointLayer, type PointLayer } from '../layers/deterministic';
import { McDropout } from '../layers/dropout';
import type { ForwardContext } from '../layers/variationalLayer';
import type { DeterministicStage } from './variationalSequential';

export type PointStage = PointLayer | McDropout | DeterministicStage;

/** 'sample' and 'draw' apply the dropout masks; 'mean' switches them off. */
export type PointForwardContext = Pick<ForwardContext, 'mode' | 'seeds'>;

export class PointSequentialError extends Error {
  override name = 'PointSequentialError';
}

export class PointSequential {
  readonly layers: PointLayer[];

  constructor(readonly stages: PointStage[]) {
    this.layers = stages.filter(isPointLayer);
    if (this.layers.length === 0) throw new PointSequentialError('A point network needs at least one weight layer.');
  }

  private applyStages(input: tf.Tensor, stages: PointStage[], context: PointForwardContext): tf.Tensor {
    let x = input;
    for (const stage of stages) {
      if (stage instanceof McDropout) x = stage.apply(x, context);
      else x = stage.apply(x);
    }
    return x;
  }

  /** The network's output (logits, or regression outputs); call inside tf.tidy or dispose it. */
  apply(input: tf.Tensor, context: PointForwardContext): tf.Tensor {
    return tf.tidy(() => this.applyStages(input, this.stages, context));
  }

  /** The last weight layer (last-layer Laplace's). */
  get lastLayer(): PointLayer {
    return this.layers[this.layers.length - 1];
  }

  /**
   * The input of the last weight layer, φ(x) (stages after it must be parameter-free); in 'mean'
   * mode for a MAP network, the features last-layer Laplace is fitted on.
   */
  features(input: tf.Tensor, context: PointForwardContext): tf.Tensor {
    const index = this.stages.indexOf(this.lastLayer);
    return tf.tidy(() => this.applyStages(input, this.stages.slice(0, index), context));
  }

  /** Σ over layers of ½ Σ w² (the loss multiplies it by the weight decay). */
  l2Penalty(): tf.Scalar {
    return tf.tidy(
      () => this.layers.map((layer) => layer.l2Penalty()).reduce((sum, term) => tf.add(sum, term)) as tf.Scalar,
    );
  }

  get trainableVariables(): tf.Variable[] {
    return this.layers.flatMap((layer) => layer.trainableVariables);
  }

  /** Number of trainable scalars (the cost column of the methods table). */
  get parameterCount(): number {
    return this.trainableVariables.reduce((sum, variable) => sum + variable.size, 0);
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }
}

/**
 * Deterministic layers with point weights, for the deterministic (MAP), MC-dropout and
 * deep-ensemble methods: y = activation(x W + b) and y = activation(conv(x, W) + b) (NHWC, stride 1).
 * No posterior, no sampling, no ρ variables: these methods must not pay for weight sampling they do
 * not do, and their parameter count is the network's.
 *
 * Weight decay is the MAP under a N(0, 1/δ) prior on every weight and bias:
 *   −log p(w) = (δ/2) Σ w² + const,
 * so each layer offers ½ Σ w² (`l2Penalty`), and the loss mean NLL + weightDecay · Σ_layers ½ Σ w²
 * has the MAP of prior precision δ = N_train · weightDecay (core/methods/descriptors/deterministic).
 * Initialisation: He et al. 2015, W ~ N(0, 2 / fan_in), b = 0 (fan_in = inputs × kernel area).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createVariable } from '../engine/variables';
import { matMulLastAxis } from './denseVariational';
import type { Activation } from './variationalLayer';

export class DeterministicLayerError extends Error {
  override name = 'DeterministicLayerError';
}

/** A layer with point weights. */
export interface PointLayer {
  readonly name: string;
  /** Forward pass; call inside tf.tidy or dispose the result. */
  apply(input: tf.Tensor): tf.Tensor;
  /** ½ Σ w² over kernel and bias (unweighted; the loss applies the weight decay). */
  l2Penalty(): tf.Scalar;
  readonly trainableVariables: tf.Variable[];
  /** The kernel and bias variables. */
  weights(): { kernel: tf.Variable; bias: tf.Variable };
  dispose(): void;
}

export function isPointLayer(stage: unknown): stage is PointLayer {
  return typeof stage === 'object' && stage !== null && typeof (stage as PointLayer).l2Penalty === 'function';
}

abstract class PointLayerBase implements PointLayer {
  readonly name: string;
  readonly activation: Activation;
  private kernel?: tf.Variable;
  private bias?: tf.Variable;

  constructor(args: { name: string; activation?: Activation }) {
    this.name = args.name;
    this.activation = args.activation ?? 'linear';
  }

  protected buildWeights(kernelShape: number[], fanIn: number, seed: number): void {
    if (this.kernel) throw new DeterministicLayerError(`Layer "${this.name}" is already built.`);
    this.kernel = createVariable(
      tf.randomNormal(kernelShape, 0, Math.sqrt(2 / fanIn), 'float32', seed),
      true,
      `${this.name}/kernel`,
    );
    this.bias = createVariable(tf.zeros([kernelShape[kernelShape.length - 1]]), true, `${this.name}/bias`);
  }

  weights(): { kernel: tf.Variable; bias: tf.Variable } {
    if (!this.kernel || !this.bias)
      throw new DeterministicLayerError(`Layer "${this.name}" is used before buildFor().`);
    return { kernel: this.kernel, bias: this.bias };
  }

  get trainableVariables(): tf.Variable[] {
    const { kernel, bias } = this.weights();
    return [kernel, bias];
  }

  l2Penalty(): tf.Scalar {
    const { kernel, bias } = this.weights();
    return tf.tidy(() => tf.mul(0.5, tf.add(tf.sum(tf.square(kernel)), tf.sum(tf.square(bias)))) as tf.Scalar);
  }

  protected activate(x: tf.Tensor): tf.Tensor {
    return this.activation === 'relu' ? tf.relu(x) : x;
  }

  abstract apply(input: tf.Tensor): tf.Tensor;

  dispose(): void {
    this.kernel?.dispose();
    this.bias?.dispose();
    this.kernel = undefined;
    this.bias = undefined;
  }
}

export class DenseDeterministic extends PointLayerBase {
  readonly units: number;

  constructor(args: { name: string; units: number; activation?: Activation }) {
    super(args);
    this.units = args.units;
  }

  /** Creates W [inputUnits, units] and b [units]. */
  buildFor(inputUnits: number, seed: number): this {
    this.buildWeights([inputUnits, this.units], inputUnits, seed);
    return this;
  }

  apply(input: tf.Tensor): tf.Tensor {
    const { kernel, bias } = this.weights();
    return tf.tidy(() => this.activate(tf.add(matMulLastAxis(input, kernel), bias)));
  }
}

export class Conv2DDeterministic extends PointLayerBase {
  readonly filters: number;
  readonly kernelSize: number;
  readonly padding: 'same' | 'valid';

  constructor(args: {
    name: string;
    filters: number;
    kernelSize?: number;
    padding?: 'same' | 'valid';
    activation?: Activation;
  }) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize ?? 5;
    this.padding = args.padding ?? 'valid';
  }

  /** Creates W [k, k, inputChannels, filters] and b [filters]. */
  buildFor(inputChannels: number, seed: number): this {
    this.buildWeights(
      [this.kernelSize, this.kernelSize, inputChannels, this.filters],
      inputChannels * this.kernelSize ** 2,
      seed,
    );
    return this;
  }

  apply(input: tf.Tensor): tf.Tensor {
    if (input.rank !== 4) {
      throw new DeterministicLayerError(
        `Layer "${this.name}" expects NHWC input of rank 4; found shape [${input.shape.join(', ')}].`,
      );
    }
    const { kernel, bias } = this.weights();
    return tf.tidy(() =>
      this.activate(tf.add(tf.conv2d(input as tf.Tensor4D, kernel as tf.Tensor4D, 1, this.padding), bias)),
    );
  }
}

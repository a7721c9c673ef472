/**
 * Variational 2-D convolutions, NHWC, stride 1: y = activation(conv(x, W) + b) with W [kh, kw,
 * cin, cout] and b [cout] under a mean-field Normal posterior. Like the dense layers they share
 * VariationalLayer and differ only in how W enters the convolution:
 *
 * - Conv2DReparameterization: one draw W ~ q shared by the batch.
 * - Conv2DLocalReparameterization (Kingma et al. 2015): samples the pre-activations,
 *   y ~ N(conv(x, μ) + μ_b, conv(x², σ²) + σ_b²), independent per output element.
 * - Conv2DFlipout (Wen et al. 2018, §3): one perturbation ΔW = σ ∘ ε shared by the batch,
 *   decorrelated per example with random ±1 signs per input and output channel:
 *   y = conv(x, μ) + conv(x ∘ s_in, ΔW) ∘ s_out + b.
 *
 * Every estimator evaluates a posterior draw (mode 'draw') as one sampled network for the batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { perExampleSigns } from './denseVariational';
import { VariationalLayer, type ForwardContext, type LayerOutput, type VariationalLayerArgs } from './variationalLayer';

export interface Conv2DVariationalArgs extends VariationalLayerArgs {
  /** Output channels. */
  filters: number;
  /** Square kernel side. Default 5 (LeNet5). */
  kernelSize?: number;
  /** 'same' keeps the spatial size; 'valid' shrinks it by kernelSize − 1. Default 'valid'. */
  padding?: 'same' | 'valid';
}

export abstract class Conv2DVariationalBase extends VariationalLayer {
  readonly filters: number;
  readonly kernelSize: number;
  readonly padding: 'same' | 'valid';

  constructor(args: Conv2DVariationalArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize ?? 5;
    this.padding = args.padding ?? 'valid';
  }

  /** Creates W [k, k, inputChannels, filters] and b [filters]. */
  buildFor(inputChannels: number, seed: number): this {
    this.build([this.kernelSize, this.kernelSize, inputChannels, this.filters], [this.filters], seed);
    return this;
  }

  protected convolve(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor4D {
    return tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, 1, this.padding);
  }

  apply(input: tf.Tensor, context: ForwardContext): LayerOutput {
    if (input.rank !== 4) {
      throw new Error(`Layer "${this.name}" expects NHWC input of rank 4; found shape [${input.shape.join(', ')}].`);
    }
    const { kernel, bias } = this.weights();
    if (context.mode === 'mean') {
      return tf.tidy(() => ({
        output: this.activate(tf.add(this.convolve(input, kernel.posterior.loc), bias.posterior.loc)),
        kl: tf.scalar(0),
      }));
    }
    if (context.mode === 'draw') return this.applyOneDraw(input, context);
    return this.applySampled(input, context);
  }

  /** One draw W, b ~ q for the whole batch (the reparameterization estimator). */
  protected applyOneDraw(input: tf.Tensor, context: ForwardContext): LayerOutput {
    const { kernel, bias } = this.weights();
    return tf.tidy(() => {
      const w = kernel.posterior.sample(context.seeds.next());
      const b = bias.posterior.sample(context.seeds.next());
      const output = tf.add(this.convolve(input, w), b);
      return { output: this.activate(output), kl: this.klTerm(context, { kernel: w, bias: b }) };
    });
  }

  protected abstract applySampled(input: tf.Tensor, context: ForwardContext): LayerOutput;
}

export class Conv2DReparameterization extends Conv2DVariationalBase {
  protected applySampled(input: tf.Tensor, context: ForwardContext): LayerOutput {
    return this.applyOneDraw(input, context);
  }
}

export class Conv2DLocalReparameterization extends Conv2DVariationalBase {
  protected applySampled(input: tf.Tensor, context: ForwardContext): LayerOutput {
    const { kernel, bias } = this.weights();
    return tf.tidy(() => {
      const mean = tf.add(this.convolve(input, kernel.posterior.loc), bias.posterior.loc);
      const variance = tf.add(
        this.convolve(tf.square(input), tf.square(kernel.posterior.scale())),
        tf.square(bias.posterior.scale()),
      );
      return this.sampleLocally(mean, variance, context);
    });
  }
}

export class Conv2DFlipout extends Conv2DVariationalBase {
  protected applySampled(input: tf.Tensor, context: ForwardContext): LayerOutput {
    const { kernel, bias } = this.weights();
    return tf.tidy(() => {
      const [batch, , , inputChannels] = input.shape as [number, number, number, number];
      // Each σ once per pass: the perturbation, the bias draw and the KL share it.
      const scales = { kernel: kernel.posterior.scale(), bias: bias.posterior.scale() };
      const perturbation = tf.mul(
        scales.kernel,
        tf.randomNormal(scales.kernel.shape, 0, 1, 'float32', context.seeds.next()),
      );
      const [signInSeed, signOutSeed] = [context.seeds.next(), context.seeds.next()];
      const signIn = perExampleSigns([batch, 1, 1, inputChannels], signInSeed, context);
      const signOut = perExampleSigns([batch, 1, 1, this.filters], signOutSeed, context);
      const meanOutput = this.convolve(input, kernel.posterior.loc);
      const flipped = tf.mul(this.convolve(tf.mul(input, signIn), perturbation), signOut);
      const b = bias.posterior.sample(context.seeds.next(), undefined, scales.bias);
      const output = tf.add(tf.add(meanOutput, flipped), b);
      // The drawn kernel only feeds a Monte Carlo KL; the analytic one needs no draw.
      const draw =
        this.klForm === 'monteCarlo' ? { kernel: tf.add(kernel.posterior.loc, perturbation), bias: b } : undefined;
      return { output: this.activate(output), kl: this.klTerm(context, draw, undefined, scales) };
    });
  }
}

/**
 * Variational dense layers: y = activation(x W + b) with W, b under a mean-field Normal posterior.
 * The three estimators share VariationalLayer and differ only in how W enters the product:
 *
 * - DenseReparameterization (TFP DenseVariational / DenseReparameterization): one draw of W, b per
 *   pass — or, when x has a leading sample dimension [S, N, in], S independent draws (batched
 *   matMul), which gives the S-sample Monte Carlo expected log-likelihood in one pass.
 * - DenseLocalReparameterization (Kingma, Salimans & Welling 2015): samples the pre-activations
 *   instead of the weights, y ~ N(x μ_W + μ_b, x² σ_W² + σ_b²), independent per example.
 * - DenseFlipout (Wen et al. 2018): one perturbation ΔW = σ ∘ ε shared by the batch, decorrelated
 *   per example by random signs: y = x μ_W + ((x ∘ s_in) ΔW) ∘ s_out + b.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  checkedBatchSlice,
  VariationalLayer,
  type ForwardContext,
  type LayerOutput,
  type VariationalLayerArgs,
} from './variationalLayer';

export interface DenseVariationalArgs extends VariationalLayerArgs {
  /** Output units. */
  units: number;
}

export abstract class DenseVariationalBase extends VariationalLayer {
  readonly units: number;

  constructor(args: DenseVariationalArgs) {
    super(args);
    this.units = args.units;
  }

  /** Creates W [inputUnits, units] and b [units]. */
  buildFor(inputUnits: number, seed: number): this {
    this.build([inputUnits, this.units], [this.units], seed);
    return this;
  }

  apply(input: tf.Tensor, context: ForwardContext): LayerOutput {
    const { kernel, bias } = this.weights();
    if (context.mode === 'mean') {
      return tf.tidy(() => ({
        output: this.activate(tf.add(matMulLastAxis(input, kernel.posterior.loc), bias.posterior.loc)),
        kl: tf.scalar(0),
      }));
    }
    if (input.rank === 3) return this.applyWholeDraws(input as tf.Tensor3D, context);
    if (context.mode === 'draw') return this.applyOneDraw(input, context);
    return this.applySampled(input, context);
  }

  /**
   * Input [S, N, in]: S whole-network weight draws, one per leading sample (batched matMul). This is
   * how every estimator evaluates posterior draws (a draw is one sampled network for the whole
   * batch and needs no Flipout) and how training averages the likelihood over S samples.
   */
  private applyWholeDraws(input: tf.Tensor3D, context: ForwardContext): LayerOutput {
    const { kernel, bias } = this.weights();
    return tf.tidy(() => {
      const sampleCount = input.shape[0];
      const w = kernel.posterior.sample(context.seeds.next(), sampleCount) as tf.Tensor3D;
      const b = bias.posterior.sample(context.seeds.next(), sampleCount);
      const output = tf.add(tf.matMul(input, w), tf.expandDims(b, 1));
      return { output: this.activate(output), kl: this.klTerm(context, { kernel: w, bias: b }, sampleCount) };
    });
  }

  /** One draw W, b ~ q shared by the whole batch: y = x W + b (the reparameterization estimator). */
  protected applyOneDraw(input: tf.Tensor, context: ForwardContext): LayerOutput {
    const { kernel, bias } = this.weights();
    return tf.tidy(() => {
      const w = kernel.posterior.sample(context.seeds.next());
      const b = bias.posterior.sample(context.seeds.next());
      const output = tf.add(matMulLastAxis(input, w), b);
      return { output: this.activate(output), kl: this.klTerm(context, { kernel: w, bias: b }) };
    });
  }

  protected abstract applySampled(input: tf.Tensor, context: ForwardContext): LayerOutput;
}

/** x [..., in] · W [in, out] for any number of leading dimensions. */
export function matMulLastAxis(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  if (x.rank === 2) return tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
  const leading = x.shape.slice(0, -1);
  const flat = tf.reshape(x, [-1, x.shape[x.rank - 1]]);
  return tf.reshape(tf.matMul(flat as tf.Tensor2D, w as tf.Tensor2D), [...leading, w.shape[1] as number]);
}

export class DenseReparameterization extends DenseVariationalBase {
  protected applySampled(input: tf.Tensor, context: ForwardContext): LayerOutput {
    return this.applyOneDraw(input, context);
  }
}

/** The seed's name for the reparameterization layer. */
export { DenseReparameterization as DenseVariational };

export class DenseLocalReparameterization extends DenseVariationalBase {
  protected applySampled(input: tf.Tensor, context: ForwardContext): LayerOutput {
    const { kernel, bias } = this.weights();
    return tf.tidy(() => {
      const kernelStd = kernel.posterior.scale();
      const biasStd = bias.posterior.scale();
      const mean = tf.add(matMulLastAxis(input, kernel.posterior.loc), bias.posterior.loc);
      const variance = tf.add(matMulLastAxis(tf.square(input), tf.square(kernelStd)), tf.square(biasStd));
      return this.sampleLocally(mean, variance, context);
    });
  }
}

export class DenseFlipout extends DenseVariationalBase {
  protected applySampled(input: tf.Tensor, context: ForwardContext): LayerOutput {
    const { kernel, bias } = this.weights();
    return tf.tidy(() => {
      const inputUnits = input.shape[input.rank - 1];
      const flat = input.rank === 2 ? (input as tf.Tensor2D) : (tf.reshape(input, [-1, inputUnits]) as tf.Tensor2D);
      // Each σ once per pass: the perturbation, the bias draw and the KL share it.
      const scales = { kernel: kernel.posterior.scale(), bias: bias.posterior.scale() };
      const perturbation = tf.mul(
        scales.kernel,
        tf.randomNormal(scales.kernel.shape, 0, 1, 'float32', context.seeds.next()),
      );
      const [signInSeed, signOutSeed] = [context.seeds.next(), context.seeds.next()];
      const signIn = perExampleSigns([flat.shape[0], inputUnits], signInSeed, context);
      const signOut = perExampleSigns([flat.shape[0], this.units], signOutSeed, context);
      const meanOutput = tf.matMul(flat, kernel.posterior.loc as tf.Tensor2D);
      const flipped = tf.mul(tf.matMul(tf.mul(flat, signIn), perturbation as tf.Tensor2D), signOut);
      const b = bias.posterior.sample(context.seeds.next(), undefined, scales.bias);
      let output: tf.Tensor = tf.add(tf.add(meanOutput, flipped), b);
      if (input.rank !== 2) output = tf.reshape(output, [...input.shape.slice(0, -1), this.units]);
      // The drawn kernel only feeds a Monte Carlo KL; the analytic one needs no draw.
      const draw =
        this.klForm === 'monteCarlo' ? { kernel: tf.add(kernel.posterior.loc, perturbation), bias: b } : undefined;
      return { output: this.activate(output), kl: this.klTerm(context, draw, undefined, scales) };
    });
  }
}

/**
 * Flipout's per-example ±1 signs of `shape` (leading axis: examples), exact under a batch slice:
 * the full batch's signs are drawn from the seed and this pass's rows kept.
 */
export function perExampleSigns(shape: number[], seed: number, context: ForwardContext): tf.Tensor {
  const slice = checkedBatchSlice(shape[0], context);
  if (!slice) return randomSigns(shape, seed);
  return randomSigns([slice.fullSize, ...shape.slice(1)], seed, { start: slice.start, rows: shape[0] });
}

/**
 * Independent ±1 entries, each with probability ½: sign(u) of u ~ U(−1, 1) from `seed` (u = 0 gives
 * −1), i.e. exactly `2 · step(u) − 1`, computed in JavaScript rather than by three kernels per
 * tensor (with a fourth to slice), since on wasm a kernel's fixed cost outweighs this work. `rows`
 * keeps rows [start, start + rows) of the leading axis.
 */
export function randomSigns(shape: number[], seed: number, rows?: { start: number; rows: number }): tf.Tensor {
  const uniform = tf.randomUniform(shape, -1, 1, 'float32', seed);
  const values = uniform.dataSync();
  uniform.dispose();
  const perRow = shape.slice(1).reduce((a, b) => a * b, 1);
  const start = (rows?.start ?? 0) * perRow;
  const signs = new Float32Array((rows?.rows ?? shape[0]) * perRow);
  for (let i = 0; i < signs.length; i += 1) signs[i] = values[start + i] > 0 ? 1 : -1;
  return tf.tensor(signs, [rows?.rows ?? shape[0], ...shape.slice(1)]);
}

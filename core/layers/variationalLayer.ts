/**
 * Base of every variational layer (dense and convolutional; reparameterization, local
 * reparameterization and Flipout). It owns a mean-field posterior and a prior for the kernel and
 * for the bias, built once from factories (TFP's `make_posterior_fn` / `make_prior_fn`), and
 * computes the layer's KL term; subclasses differ only in how the kernel is applied.
 *
 * Generative process: w ~ q(w) = N(μ, σ²) (one draw per forward pass, or per leading sample when
 * the input carries a sample dimension), y = activation(apply(x, w)). The layer returns
 * KL(q‖p) for that pass — closed form (summed over weights) or the Monte Carlo estimate
 * log q(w) − log p(w) at the drawn w (Blundell et al. 2015, eq. 2) — unweighted: the loss applies
 * the KL weight.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KlForm } from '../contract/runConfig';
import type { Posterior, PosteriorFactory } from '../posteriors/meanFieldNormal';
import type { Prior, PriorFactory } from '../priors/prior';
import type { SeedStream } from '../random/seedStream';

export type Activation = 'relu' | 'linear';

export interface VariationalLayerArgs {
  /** Layer name, used in variable names and error messages. */
  name: string;
  /** Applied after the kernel and bias. Default 'linear'. */
  activation?: Activation;
  /** Builds q(w) for the kernel and the bias. */
  makePosterior: PosteriorFactory;
  /** Builds p(w) for the kernel and the bias. */
  makePrior: PriorFactory;
  /** 'analytic' needs a prior with a closed-form KL; the mixture has none. */
  klForm: KlForm;
}

export interface ForwardContext {
  /**
   * 'sample': the layer's training estimator (reparameterization, local reparameterization or
   * Flipout); 'draw': one whole-network weight draw w ~ q shared by the batch, as evaluation uses
   * (no Flipout needed); 'mean': μ with σ = 0, the deterministic network.
   */
  mode: 'sample' | 'draw' | 'mean';
  /** Source of every random seed this pass uses. */
  seeds: SeedStream;
  /** False skips the KL term (returned as 0): evaluation and prediction never use it. Default true. */
  computeKl?: boolean;
  /**
   * Data-parallel training: this pass sees rows [start, start + rows) of a batch of `fullSize`
   * examples. Per-example noise (Flipout signs, local-reparameterization ε) is drawn for the whole
   * batch and sliced, so a slice gets exactly the noise one process would give those rows.
   */
  batchSlice?: BatchSlice;
}

export interface BatchSlice {
  start: number;
  fullSize: number;
}

/**
 * Per-example noise of `shape` (leading axis: the examples of this pass). Under a batch slice it is
 * drawn for the full batch from the same seed and sliced, so the split is exact, not just equal in law.
 */
export function perExampleNoise(
  shape: number[],
  context: ForwardContext,
  draw: (shape: number[]) => tf.Tensor,
): tf.Tensor {
  const slice = checkedBatchSlice(shape[0], context);
  if (!slice) return draw(shape);
  return tf.tidy(() => tf.slice(draw([slice.fullSize, ...shape.slice(1)]), slice.start, shape[0]));
}

/** The pass's batch slice (undefined for a whole batch), checked to hold its `rows` examples. */
export function checkedBatchSlice(rows: number, context: ForwardContext): BatchSlice | undefined {
  const slice = context.batchSlice;
  if (slice && (slice.start < 0 || slice.start + rows > slice.fullSize)) {
    throw new VariationalLayerError(
      `A batch slice of ${rows} rows from row ${slice.start} does not fit in a batch of ${slice.fullSize}.`,
    );
  }
  return slice;
}

/** A type alias, not an interface, so tf.tidy accepts it as a tensor container. */
export type LayerOutput = {
  output: tf.Tensor;
  /** KL(q‖p) of this layer for this pass (0 in mean mode). */
  kl: tf.Scalar;
};

/** σ of the kernel and bias posteriors, when the pass has computed them already (reused, not recomputed). */
export interface PosteriorScales {
  kernel: tf.Tensor;
  bias: tf.Tensor;
}

/** A drawn weight tensor and, for the Monte Carlo KL, the sample it was drawn as. */
export interface WeightDraw {
  kernel: tf.Tensor;
  bias: tf.Tensor;
}

export class VariationalLayerError extends Error {
  override name = 'VariationalLayerError';
}

export interface WeightPair {
  posterior: Posterior;
  prior: Prior;
}

export abstract class VariationalLayer {
  readonly name: string;
  readonly activation: Activation;
  readonly klForm: KlForm;
  protected kernel?: WeightPair;
  protected bias?: WeightPair;
  private readonly makePosterior: PosteriorFactory;
  private readonly makePrior: PriorFactory;

  constructor(args: VariationalLayerArgs) {
    this.name = args.name;
    this.activation = args.activation ?? 'linear';
    this.klForm = args.klForm;
    this.makePosterior = args.makePosterior;
    this.makePrior = args.makePrior;
  }

  /** Creates the weights once; `seed` fixes the initial posterior means. */
  build(kernelShape: number[], biasShape: number[], seed: number): void {
    if (this.kernel) throw new VariationalLayerError(`Layer "${this.name}" is already built.`);
    this.kernel = {
      posterior: this.makePosterior({ shape: kernelShape, name: `${this.name}/kernel`, seed }),
      prior: this.makePrior({ shape: kernelShape, name: `${this.name}/kernel` }),
    };
    this.bias = {
      posterior: this.makePosterior({ shape: biasShape, name: `${this.name}/bias`, seed: seed + 1 }),
      prior: this.makePrior({ shape: biasShape, name: `${this.name}/bias` }),
    };
    if (this.klForm === 'analytic' && !this.kernel.prior.analyticKl) {
      throw new VariationalLayerError(
        `Layer "${this.name}": the analytic KL needs a prior with a closed form; this prior (a scale mixture) has none. Choose the Monte Carlo KL.`,
      );
    }
  }

  get isBuilt(): boolean {
    return this.kernel !== undefined;
  }

  /** The kernel and bias (posterior, prior) pairs, for statistics and checkpoints. */
  weights(): { kernel: WeightPair; bias: WeightPair } {
    return { kernel: this.built(this.kernel), bias: this.built(this.bias) };
  }

  /** Posterior variables plus the priors' own (shared prior variables may repeat across layers). */
  get trainableVariables(): tf.Variable[] {
    const { kernel, bias } = this.weights();
    return [
      ...kernel.posterior.trainableVariables,
      ...bias.posterior.trainableVariables,
      ...kernel.prior.trainableVariables,
      ...bias.prior.trainableVariables,
    ];
  }

  /** Forward pass and KL; call inside tf.tidy or dispose both tensors. */
  abstract apply(input: tf.Tensor, context: ForwardContext): LayerOutput;

  protected activate(x: tf.Tensor): tf.Tensor {
    return this.activation === 'relu' ? tf.relu(x) : x;
  }

  /**
   * KL of this layer. Analytic: Σ KL(N(μ, σ²) ‖ p) over kernel and bias. Monte Carlo: the mean over
   * the leading `sampleCount` draws (if any) of Σ [log q(w) − log p(w)] at the drawn weights.
   */
  protected klTerm(
    context: ForwardContext,
    draw: WeightDraw | undefined,
    sampleCount?: number,
    scales?: PosteriorScales,
  ): tf.Scalar {
    const { kernel, bias } = this.weights();
    return tf.tidy(() => {
      if (context.computeKl === false) return tf.scalar(0);
      if (this.klForm === 'analytic') {
        const exact = (pair: WeightPair, known: tf.Tensor | undefined) => {
          const scale = known ?? pair.posterior.scale();
          return pair.prior.analyticKlSum
            ? pair.prior.analyticKlSum(pair.posterior.loc, scale)
            : tf.sum(pair.prior.analyticKl!(pair.posterior.loc, scale));
        };
        return tf.add(exact(kernel, scales?.kernel), exact(bias, scales?.bias)) as tf.Scalar;
      }
      if (!draw) {
        throw new VariationalLayerError(`Layer "${this.name}": a Monte Carlo KL needs the drawn weights.`);
      }
      const estimate = (pair: WeightPair, w: tf.Tensor) =>
        tf.sum(tf.sub(pair.posterior.logProb(w), pair.prior.logProb(w)));
      const total = tf.add(estimate(kernel, draw.kernel), estimate(bias, draw.bias));
      return tf.div(total, sampleCount ?? 1) as tf.Scalar;
    });
  }

  /**
   * Local reparameterization (Kingma, Salimans & Welling 2015): given the pre-activation mean and
   * variance implied by q, samples y = mean + sqrt(variance) ∘ ε per output element. That sample has
   * no weight draw, so a Monte Carlo KL takes one of its own.
   */
  protected sampleLocally(mean: tf.Tensor, variance: tf.Tensor, context: ForwardContext): LayerOutput {
    const { kernel, bias } = this.weights();
    return tf.tidy(() => {
      const seed = context.seeds.next();
      const epsilon = perExampleNoise(mean.shape, context, (shape) => tf.randomNormal(shape, 0, 1, 'float32', seed));
      const output = tf.add(mean, tf.mul(tf.sqrt(variance), epsilon));
      const draw =
        this.klForm === 'monteCarlo'
          ? { kernel: kernel.posterior.sample(context.seeds.next()), bias: bias.posterior.sample(context.seeds.next()) }
          : undefined;
      return { output: this.activate(output), kl: this.klTerm(context, draw) };
    });
  }

  private built(pair: WeightPair | undefined): WeightPair {
    if (!pair) throw new VariationalLayerError(`Layer "${this.name}" is used before build().`);
    return pair;
  }

  dispose(): void {
    for (const pair of [this.kernel, this.bias]) {
      pair?.posterior.dispose();
      pair?.prior.dispose();
    }
    this.kernel = undefined;
    this.bias = undefined;
  }
}

/**
 * Deep ensembles, worker side (Lakshminarayanan, Pritzel & Blundell 2017, "Simple and Scalable
 * Predictive Uncertainty Estimation using Deep Ensembles").
 *
 * M members θ_1..θ_M, independently initialised (each its own seed), trained in one run on the sum
 * of their losses — members share no parameter, so the sum's gradient for θ_m is member m's own and
 * Adam (per-parameter) trains each exactly as alone. The predictive is the uniform mixture:
 *
 * - classification: p(y | x) = (1/M) Σ_m softmax(f_m(x))_y. The members' probabilities laid out
 *   [M, N, C] are core/metrics' DrawProbabilities (members as draws), so entropy, expected entropy
 *   and mutual information (the members' disagreement) come from the same code as for VI.
 * - regression: each member outputs two numbers per target, a mean μ_m and a variance
 *   σ_m² = softplus(raw) + 1e-6 (the paper's positivity constraint), trained on the Gaussian
 *   NLL  ½ log σ_m² + (y − μ_m)² / (2σ_m²) + ½ log 2π. The mixture is approximated by a
 *   Gaussian with μ* = (1/M) Σ_m μ_m and σ*² = (1/M) Σ_m (σ_m² + μ_m²) − μ*², computed here in the
 *   equal, cancellation-free form σ*² = (1/M) Σ_m σ_m² + (1/M) Σ_m (μ_m − μ*)² (aleatoric + epistemic).
 */
import * as tf from '@tensorflow/tfjs-core';
import { stableVariableName } from '../engine/variables';
import type { PointForwardContext, PointSequential } from '../models/pointSequential';
import type { SeedStream } from '../random/seedStream';

export class EnsembleError extends Error {
  override name = 'EnsembleError';
}

/** The variance floor of the mean–variance head (Lakshminarayanan et al. 2017). */
export const MIN_MEMBER_VARIANCE = 1e-6;

/**
 * Splits a member's raw output [..., 2] into mean [...] and variance softplus(raw) + 1e-6 [...].
 * The caller disposes both (or calls inside tf.tidy).
 */
export function gaussianHead(output: tf.Tensor): { mean: tf.Tensor; variance: tf.Tensor } {
  const last = output.shape[output.rank - 1];
  if (last !== 2) {
    throw new EnsembleError(
      `A mean–variance head needs 2 outputs per target (mean, raw variance); found shape [${output.shape.join(', ')}].`,
    );
  }
  return tf.tidy(() => {
    const [mean, raw] = tf.split(output, 2, output.rank - 1);
    return {
      mean: tf.squeeze(mean, [output.rank - 1]),
      variance: tf.add(tf.softplus(tf.squeeze(raw, [output.rank - 1])), MIN_MEMBER_VARIANCE),
    };
  });
}

/** Mean over examples of −log N(y; μ, σ²) = ½ log(2πσ²) + (y − μ)² / (2σ²). */
export function heteroscedasticGaussianNll(targets: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const squared = tf.square(tf.sub(targets, mean));
    const perExample = tf.mul(0.5, tf.add(tf.log(tf.mul(2 * Math.PI, variance)), tf.div(squared, variance)));
    return tf.mean(perExample) as tf.Scalar;
  });
}

/** Softmax of each member's logits, stacked [M, N, C]: the members as draws of DrawProbabilities. */
export function memberClassProbabilities(memberLogits: tf.Tensor[]): tf.Tensor3D {
  if (memberLogits.length === 0)
    throw new EnsembleError('An ensemble prediction needs at least one member output; none were given.');
  return tf.tidy(() => tf.stack(memberLogits.map((logits) => tf.softmax(logits))) as tf.Tensor3D);
}

/** The mixture p̄ = (1/M) Σ_m p_m of member probabilities [M, N, C] → [N, C]. */
export function mixClassProbabilities(memberProbabilities: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => tf.mean(memberProbabilities, 0) as tf.Tensor2D);
}

/**
 * Gaussian approximation of the members' mixture (module comment): means and variances [M, ...]
 * → μ* [...], σ*² [...]; the epistemic part (1/M) Σ (μ_m − μ*)² is returned too.
 */
export function mixGaussians(
  memberMeans: tf.Tensor,
  memberVariances: tf.Tensor,
): { mean: tf.Tensor; variance: tf.Tensor; epistemicVariance: tf.Tensor } {
  if (memberMeans.shape.join(',') !== memberVariances.shape.join(',')) {
    throw new EnsembleError(
      `Member means [${memberMeans.shape.join(', ')}] and variances [${memberVariances.shape.join(', ')}] must have the same shape.`,
    );
  }
  return tf.tidy(() => {
    const mean = tf.mean(memberMeans, 0);
    const epistemicVariance = tf.mean(tf.square(tf.sub(memberMeans, mean)), 0);
    const variance = tf.add(tf.mean(memberVariances, 0), epistemicVariance);
    return { mean, variance, epistemicVariance };
  });
}

/** M point networks built by one factory, each from its own forked seed stream and with its own variable names. */
export class DeepEnsemble {
  readonly members: PointSequential[];

  constructor(
    memberCount: number,
    makeMember: (seeds: SeedStream, index: number) => PointSequential,
    seeds: SeedStream,
  ) {
    if (!(Number.isInteger(memberCount) && memberCount >= 1)) {
      throw new EnsembleError(`An ensemble needs a whole, positive number of members; found ${memberCount}.`);
    }
    this.members = Array.from({ length: memberCount }, (_, index) => makeMember(seeds.fork(index + 1), index));
    // Checkpoints key variables by stable name: members must not share one.
    const names = this.members.flatMap((member) =>
      member.trainableVariables.map((variable) => stableVariableName(variable.name)),
    );
    const repeated = names.find((name, i) => names.indexOf(name) !== i);
    if (repeated !== undefined) {
      this.dispose();
      throw new EnsembleError(
        `Two ensemble members have a variable named "${repeated}"; give each member its own name prefix (e.g. "member2/").`,
      );
    }
  }

  /** Each member's softmax probabilities [M, N, C] (members as draws). */
  classProbabilities(input: tf.Tensor, context: PointForwardContext): tf.Tensor3D {
    return tf.tidy(() => memberClassProbabilities(this.members.map((member) => member.apply(input, context))));
  }

  /** The mixture's Gaussian predictive of mean–variance members (outputs [N, 2] each). */
  regressionPredictive(
    input: tf.Tensor,
    context: PointForwardContext,
  ): { mean: tf.Tensor; variance: tf.Tensor; epistemicVariance: tf.Tensor } {
    return tf.tidy(() => {
      const heads = this.members.map((member) => gaussianHead(member.apply(input, context)));
      return mixGaussians(tf.stack(heads.map((head) => head.mean)), tf.stack(heads.map((head) => head.variance)));
    });
  }

  /** Σ over members of their ½ Σ w². */
  l2Penalty(): tf.Scalar {
    return tf.tidy(
      () => this.members.map((member) => member.l2Penalty()).reduce((sum, term) => tf.add(sum, term)) as tf.Scalar,
    );
  }

  get trainableVariables(): tf.Variable[] {
    return this.members.flatMap((member) => member.trainableVariables);
  }

  get parameterCount(): number {
    return this.members.reduce((sum, member) => sum + member.parameterCount, 0);
  }

  dispose(): void {
    for (const member of this.members) member.dispose();
  }
}

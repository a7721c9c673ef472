/**
 * The Normal distribution on tensors: log-density, reparameterized sample and the closed-form KL
 * divergence between two Normals. Everything is element-wise; callers sum.
 */
import * as tf from '@tensorflow/tfjs-core';

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** log N(x; loc, scale²) = −½((x − loc)/scale)² − log scale − ½ log 2π, element-wise. */
export function normalLogProb(x: tf.Tensor, loc: tf.Tensor | number, scale: tf.Tensor | number): tf.Tensor {
  return tf.tidy(() => {
    const z = tf.div(tf.sub(x, loc), scale);
    return tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), tf.log(scale)), HALF_LOG_TWO_PI);
  });
}

/**
 * Reparameterized sample w = loc + scale ∘ ε, ε ~ N(0, I) (Kingma & Welling 2014), with an optional
 * leading sample dimension: shape [sampleCount, ...loc.shape] when sampleCount is given.
 */
export function normalSample(loc: tf.Tensor, scale: tf.Tensor, seed: number, sampleCount?: number): tf.Tensor {
  return tf.tidy(() => {
    const shape = sampleCount === undefined ? loc.shape : [sampleCount, ...loc.shape];
    const epsilon = tf.randomNormal(shape, 0, 1, 'float32', seed);
    return tf.add(loc, tf.mul(scale, epsilon));
  });
}

/**
 * KL(N(μq, σq²) ‖ N(μp, σp²)) = log(σp/σq) + (σq² + (μq − μp)²) / (2σp²) − ½, element-wise.
 */
export function normalKl(
  locQ: tf.Tensor,
  scaleQ: tf.Tensor,
  locP: tf.Tensor | number,
  scaleP: tf.Tensor | number,
): tf.Tensor {
  return tf.tidy(() => {
    const varianceRatio = tf.square(tf.div(scaleQ, scaleP));
    const meanTerm = tf.square(tf.div(tf.sub(locQ, locP), scaleP));
    return tf.mul(0.5, tf.sub(tf.sub(tf.add(varianceRatio, meanTerm), 1), tf.log(varianceRatio)));
  });
}

/**
 * Σ KL(N(loc, scale²) ‖ N(0, priorScale²)) over every element, the same sum as
 * `tf.sum(normalKl(loc, scale, 0, priorScale))`, written as
 *   Σ [(σ² + μ²) / (2s²) − (log σ + ½ − log s)]
 * (each element's terms cancel before the sum, so a posterior near the prior keeps its precision)
 * with its gradient by hand (∂/∂μ = μ / s², ∂/∂σ = σ / s² − 1 / σ): about a third of the kernels
 * autodiff runs for the element-wise form, which on wasm is most of its cost (issue 16).
 */
export function centredNormalKlSum(loc: tf.Tensor, scale: tf.Tensor, priorScale: number): tf.Scalar {
  const inversePriorVariance = 1 / (priorScale * priorScale);
  const offset = 0.5 - Math.log(priorScale);
  const klSum = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [mu, sigma, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([mu, sigma]);
    const quadratic = tf.mul(tf.add(tf.square(sigma), tf.square(mu)), 0.5 * inversePriorVariance);
    const value = tf.sum(tf.sub(quadratic, tf.add(tf.log(sigma), offset))) as tf.Scalar;
    return {
      value,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [savedMu, savedSigma] = saved;
        const scaledDy = tf.mul(dy, inversePriorVariance);
        return [
          tf.mul(savedMu, scaledDy),
          tf.mul(tf.sub(tf.mul(savedSigma, inversePriorVariance), tf.reciprocal(savedSigma)), dy),
        ];
      },
    };
  });
  return klSum(loc, scale) as tf.Scalar;
}

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DenseDeterministic } from '../../../core/layers/deterministic';
import {
  cholesky,
  inverseSymmetricPositiveDefinite,
  logDeterminantFromCholesky,
  solveWithCholesky,
  symmetricEigen,
} from '../../../core/linalg/symmetric';
import {
  fitLastLayerCurvature,
  fitLastLayerLaplace,
  selectPriorPrecisionOnValidation,
  type LaplaceData,
  type LastLayerMap,
} from '../../../core/methods/laplace';
import { summarizeDraws } from '../../../core/metrics/predictive';
import { SeedStream, standardNormal } from '../../../core/random/seedStream';
import { useCpuBackend } from '../../fixtures/testBackend';

beforeAll(useCpuBackend);

const gaussian = (count: number, stream: SeedStream, scale = 1) =>
  Float32Array.from({ length: count }, () => scale * standardNormal(stream));

/** Φ̃ = [Φ, 1] in float64, N × (D + 1). */
function augmented(features: ArrayLike<number>, count: number, inputUnits: number): Float64Array {
  const inputs = inputUnits + 1;
  const result = new Float64Array(count * inputs);
  for (let n = 0; n < count; n += 1) {
    for (let d = 0; d < inputUnits; d += 1) result[n * inputs + d] = features[n * inputUnits + d];
    result[n * inputs + inputUnits] = 1;
  }
  return result;
}

/** Φ̃ᵀ Φ̃ / σ² + δ I: the exact posterior precision of Bayesian linear regression (per output). */
function exactPrecision(
  design: Float64Array,
  count: number,
  inputs: number,
  noiseVariance: number,
  delta: number,
): Float64Array {
  const precision = new Float64Array(inputs * inputs);
  for (let i = 0; i < inputs; i += 1) {
    for (let j = 0; j < inputs; j += 1) {
      let sum = 0;
      for (let n = 0; n < count; n += 1) sum += design[n * inputs + i] * design[n * inputs + j];
      precision[i * inputs + j] = sum / noiseVariance + (i === j ? delta : 0);
    }
  }
  return precision;
}

describe('last-layer Laplace on a linear-Gaussian last layer', () => {
  // N = 40 examples of D = 3 features, C = 2 outputs, noise σ = 0.5, prior precision δ = 2.
  const count = 40;
  const inputUnits = 3;
  const outputs = 2;
  const noiseStd = 0.5;
  const delta = 2;
  const inputs = inputUnits + 1;
  const stream = new SeedStream(21);
  const features = gaussian(count * inputUnits, stream);
  const trueKernel = gaussian(inputUnits * outputs, stream);
  const targets = new Float32Array(count * outputs);
  for (let n = 0; n < count; n += 1) {
    for (let c = 0; c < outputs; c += 1) {
      let f = 0.3 * (c + 1);
      for (let d = 0; d < inputUnits; d += 1) f += features[n * inputUnits + d] * trueKernel[d * outputs + c];
      targets[n * outputs + c] = f + noiseStd * standardNormal(stream);
    }
  }
  const design = augmented(features, count, inputUnits);
  const precision = exactPrecision(design, count, inputs, noiseStd ** 2, delta);
  const covariance = inverseSymmetricPositiveDefinite(precision, inputs);
  /** Closed-form posterior mean S Φ̃ᵀ Y / σ², (D + 1) × C. */
  const exactMean = (() => {
    const rhs = new Float64Array(inputs * outputs);
    for (let i = 0; i < inputs; i += 1) {
      for (let c = 0; c < outputs; c += 1) {
        let sum = 0;
        for (let n = 0; n < count; n += 1) sum += design[n * inputs + i] * targets[n * outputs + c];
        rhs[i * outputs + c] = sum / noiseStd ** 2;
      }
    }
    return solveWithCholesky(cholesky(precision, inputs), inputs, rhs, outputs);
  })();

  /**
   * The MAP as the app gets it: a DenseDeterministic layer trained by gradient descent on
   * Σ ‖y − f‖² / (2σ²) + δ · ½ Σ w² (its l2Penalty), step 1/λ_max of the (quadratic) objective.
   */
  function trainedMap(): LastLayerMap {
    const layer = new DenseDeterministic({ name: 'last', units: outputs }).buildFor(inputUnits, 5);
    const x = tf.tensor2d(features, [count, inputUnits]);
    const y = tf.tensor2d(targets, [count, outputs]);
    const largest = symmetricEigen(precision, inputs).values[0];
    const optimizer = tf.train.sgd(1 / largest);
    for (let step = 0; step < 600; step += 1) {
      optimizer.minimize(
        () =>
          tf.add(
            tf.div(tf.sum(tf.square(tf.sub(y, layer.apply(x)))), 2 * noiseStd ** 2),
            tf.mul(delta, layer.l2Penalty()),
          ) as tf.Scalar,
      );
    }
    const { kernel, bias } = layer.weights();
    const map = { kernel: kernel.dataSync().slice(), bias: bias.dataSync().slice(), inputUnits, outputUnits: outputs };
    optimizer.dispose();
    tf.dispose([x, y]);
    layer.dispose();
    return map;
  }
  const data: LaplaceData = { features, count, observations: { kind: 'regression', targets, noiseStd } };

  it('has the closed-form posterior mean and covariance (Kronecker factors are exact for a Gaussian likelihood)', () => {
    const map = trainedMap();
    const { laplace } = fitLastLayerLaplace(map, data, {
      hessian: 'kron',
      priorPrecision: { kind: 'fixed', value: delta },
    });
    const mean = laplace.posteriorMean;
    const scale = Math.max(...exactMean.map(Math.abs));
    // The MAP comes from float32 gradient descent: agreement to float32 precision (~1e-6 relative; 1e-4 allowed).
    mean.forEach((value, j) => expect(Math.abs(value - exactMean[j]) / scale).toBeLessThan(1e-4));
    // The covariance does not depend on the MAP for a Gaussian likelihood: float64 agreement.
    const laplaceCovariance = laplace.posteriorCovariance();
    const size = inputs * outputs;
    const covarianceScale = Math.max(...covariance.map(Math.abs));
    for (let row = 0; row < size; row += 1) {
      for (let column = 0; column < size; column += 1) {
        const [i, c, j, c2] = [
          Math.floor(row / outputs),
          row % outputs,
          Math.floor(column / outputs),
          column % outputs,
        ];
        const expected = c === c2 ? covariance[i * inputs + j] : 0;
        expect(Math.abs(laplaceCovariance[row * size + column] - expected) / covarianceScale).toBeLessThan(1e-10);
      }
    }
    // The predictive of a new input: a S aᵀ + σ².
    const point = [0.5, -1, 2];
    const predictive = laplace.predictRegression({ features: point, count: 1 });
    const a = [...point, 1];
    let functional = 0;
    for (let i = 0; i < inputs; i += 1)
      for (let j = 0; j < inputs; j += 1) functional += a[i] * covariance[i * inputs + j] * a[j];
    expect(predictive.variance[0]).toBeCloseTo(functional + noiseStd ** 2, 10);
  });

  it('has the exact log evidence as its marginal likelihood', () => {
    const { laplace } = fitLastLayerLaplace(trainedMap(), data, {
      hessian: 'kron',
      priorPrecision: { kind: 'fixed', value: delta },
    });
    // log p(Y) = Σ_c log N(y_c; 0, σ² I + Φ̃ Φ̃ᵀ / δ)
    const gram = new Float64Array(count * count);
    for (let n = 0; n < count; n += 1) {
      for (let m = 0; m < count; m += 1) {
        let sum = 0;
        for (let i = 0; i < inputs; i += 1) sum += design[n * inputs + i] * design[m * inputs + i];
        gram[n * count + m] = sum / delta + (n === m ? noiseStd ** 2 : 0);
      }
    }
    const lower = cholesky(gram, count);
    let evidence = 0;
    for (let c = 0; c < outputs; c += 1) {
      const y = Float64Array.from({ length: count }, (_, n) => targets[n * outputs + c]);
      const solved = solveWithCholesky(lower, count, y);
      const quadratic = y.reduce((sum, value, n) => sum + value * solved[n], 0);
      evidence +=
        -0.5 * quadratic - 0.5 * logDeterminantFromCholesky(lower, count) - 0.5 * count * Math.log(2 * Math.PI);
    }
    // The Laplace evidence is stationary in θ at the MAP, so the float32 MAP error enters squared.
    expect(laplace.logMarginalLikelihood()).toBeCloseTo(evidence, 4);
  });

  it('has the diagonal of the exact precision in its diagonal form', () => {
    const laplace = fitLastLayerCurvature(trainedMap(), data, 'diagonal', delta);
    const variance = laplace.posteriorVariance();
    for (let i = 0; i < inputs; i += 1) {
      for (let c = 0; c < outputs; c += 1)
        expect(1 / variance[i * outputs + c]).toBeCloseTo(precision[i * inputs + i], 9);
    }
  });
});

/** Labels drawn from softmax(Φ W) for Gaussian features: a classification last layer at a plausible MAP. */
function classificationProblem(count: number, inputUnits: number, classes: number, seed: number) {
  const stream = new SeedStream(seed);
  const features = gaussian(count * inputUnits, stream);
  const kernel = gaussian(inputUnits * classes, stream, 1.2);
  const bias = gaussian(classes, stream, 0.3);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n += 1) {
    const logits = Array.from(
      { length: classes },
      (_, c) =>
        bias[c] +
        Array.from({ length: inputUnits }, (_, d) => features[n * inputUnits + d] * kernel[d * classes + c]).reduce(
          (a, b) => a + b,
          0,
        ),
    );
    const max = Math.max(...logits);
    const weights = logits.map((f) => Math.exp(f - max));
    let u = stream.uniform() * weights.reduce((a, b) => a + b, 0);
    let label = 0;
    while (label < classes - 1 && u >= weights[label]) u -= weights[label++];
    labels[n] = label;
  }
  const map: LastLayerMap = { kernel, bias, inputUnits, outputUnits: classes };
  const data: LaplaceData = { features, count, observations: { kind: 'classification', labels } };
  return { map, data, features };
}

/** Σ_n a_n a_nᵀ ⊗ (diag p_n − p_n p_nᵀ), formed densely: the exact GGN of the softmax last layer. */
function denseGgn(map: LastLayerMap, features: ArrayLike<number>, count: number): Float64Array {
  const { inputUnits, outputUnits: classes } = map;
  const inputs = inputUnits + 1;
  const size = inputs * classes;
  const ggn = new Float64Array(size * size);
  for (let n = 0; n < count; n += 1) {
    const a = [...Array.from({ length: inputUnits }, (_, d) => features[n * inputUnits + d]), 1];
    const logits = Array.from({ length: classes }, (_, c) =>
      a.reduce((sum, value, i) => sum + value * (i < inputUnits ? map.kernel[i * classes + c] : map.bias[c]), 0),
    );
    const max = Math.max(...logits);
    const total = logits.reduce((sum, f) => sum + Math.exp(f - max), 0);
    const p = logits.map((f) => Math.exp(f - max) / total);
    for (let i = 0; i < inputs; i += 1) {
      for (let c = 0; c < classes; c += 1) {
        for (let j = 0; j < inputs; j += 1) {
          for (let c2 = 0; c2 < classes; c2 += 1) {
            ggn[(i * classes + c) * size + j * classes + c2] += a[i] * a[j] * ((c === c2 ? p[c] : 0) - p[c] * p[c2]);
          }
        }
      }
    }
  }
  return ggn;
}

describe('last-layer Laplace on a softmax last layer', () => {
  it('uses the diagonal of the exact GGN, and Kronecker factors that are exact for one example', () => {
    const { map, data, features } = classificationProblem(30, 2, 3, 4);
    const delta = 0.7;
    const size = 3 * 3;
    const ggn = denseGgn(map, features, 30);
    const diagonal = fitLastLayerCurvature(map, data, 'diagonal', delta).posteriorVariance();
    for (let j = 0; j < size; j += 1) expect(1 / diagonal[j] - delta).toBeCloseTo(ggn[j * size + j], 10);

    const one: LaplaceData = {
      ...data,
      count: 1,
      features: features.slice(0, 2),
      observations: { kind: 'classification', labels: [0] },
    };
    const exact = denseGgn(map, features, 1);
    for (let j = 0; j < size; j += 1) exact[j * size + j] += delta;
    const expected = inverseSymmetricPositiveDefinite(exact, size);
    const kron = fitLastLayerCurvature(map, one, 'kron', delta).posteriorCovariance();
    kron.forEach((value, j) => expect(value).toBeCloseTo(expected[j], 10));
  });

  it('chooses the prior precision at the maximum of the marginal likelihood', () => {
    const { map, data } = classificationProblem(200, 4, 3, 5);
    for (const hessian of ['diagonal', 'kron'] as const) {
      const { laplace, priorPrecision } = fitLastLayerLaplace(map, data, {
        hessian,
        priorPrecision: { kind: 'marginalLikelihood' },
      });
      expect(priorPrecision.atBound).toBeNull();
      const best = laplace.logMarginalLikelihood();
      expect(priorPrecision.objective).toBe(best);
      for (const factor of [1.01, 1 / 1.01, 2, 0.5])
        expect(laplace.logMarginalLikelihood(priorPrecision.priorPrecision * factor)).toBeLessThan(best);
      // MacKay's fixed point: δ = γ / ‖θ‖², γ = Σ e / (e + δ).
      const delta = priorPrecision.priorPrecision;
      const gamma = laplace.curvatureEigenvalues().reduce((sum, e) => sum + e / (e + delta), 0);
      const norm = laplace.posteriorMean.reduce((sum, value) => sum + value * value, 0);
      expect(delta / (gamma / norm)).toBeCloseTo(1, 9);
    }
  });

  it('agrees between the probit and the Monte Carlo predictive within Monte Carlo error', () => {
    // A small case: 1,000 training examples and δ = 50 leave functional variances of 0.01–0.03, where the
    // probit approximation's own error (it uses only diag(J Σ Jᵀ)) is below the MC error of 1,000 draws.
    // At variances near 1 it is not: measured here (δ = 1), probit is flatter than MC by up to 0.02.
    const { map, data } = classificationProblem(1000, 2, 3, 6);
    const { laplace } = fitLastLayerLaplace(map, data, {
      hessian: 'kron',
      priorPrecision: { kind: 'fixed', value: 50 },
    });
    const test = { features: [0.2, -0.4, 1.5, 0.3, -1, -1, 0.1, 0.9], count: 4 };
    const probit = laplace.predictProbit(test);
    const samples = 1000;
    const draws = laplace.predictMonteCarlo(test, samples, 3);
    const mean = summarizeDraws(draws).meanProbabilities;
    const variance = laplace.functionalVariance(test);
    expect(Math.max(...variance)).toBeGreaterThan(0.01);
    for (let j = 0; j < probit.length; j += 1) {
      const [n, c] = [Math.floor(j / 3), j % 3];
      let squares = 0;
      for (let s = 0; s < samples; s += 1) squares += (draws.values[(s * 4 + n) * 3 + c] - mean[j]) ** 2;
      const standardError = Math.sqrt(squares / (samples - 1) / samples);
      expect(Math.abs(probit[j] - mean[j])).toBeLessThan(4 * standardError);
    }
  });

  it('agrees with MC at large functional variance once the shift common to all logits is removed (centred probit)', () => {
    // δ = 1: diag(J Σ Jᵀ) ≈ 1, mostly the common shift softmax ignores. Measured here: the standard probit is
    // flatter than MC by up to 0.021; the centred one within 0.0006 (4 SE of 20,000 draws). 4,000 draws here.
    const { map, data } = classificationProblem(1000, 2, 3, 6);
    const { laplace } = fitLastLayerLaplace(map, data, {
      hessian: 'kron',
      priorPrecision: { kind: 'fixed', value: 1 },
    });
    const test = { features: [0.2, -0.4, 1.5, 0.3, -1, -1, 0.1, 0.9], count: 4 };
    const samples = 4000;
    const draws = laplace.predictMonteCarlo(test, samples, 3);
    const mean = summarizeDraws(draws).meanProbabilities;
    const centred = laplace.predictProbit(test, { centred: true });
    const standard = laplace.predictProbit(test);
    let largestStandardGap = 0;
    for (let j = 0; j < centred.length; j += 1) {
      const [n, c] = [Math.floor(j / 3), j % 3];
      let squares = 0;
      for (let s = 0; s < samples; s += 1) squares += (draws.values[(s * 4 + n) * 3 + c] - mean[j]) ** 2;
      const standardError = Math.sqrt(squares / (samples - 1) / samples);
      expect(Math.abs(centred[j] - mean[j])).toBeLessThan(4 * standardError);
      largestStandardGap = Math.max(largestStandardGap, Math.abs(standard[j] - mean[j]));
    }
    expect(largestStandardGap).toBeGreaterThan(0.01);
    // The full functional covariance has the functional variance on its diagonal.
    const covariance = laplace.functionalCovariance(test);
    const variance = laplace.functionalVariance(test);
    for (let n = 0; n < 4; n += 1)
      for (let c = 0; c < 3; c += 1) expect(covariance[(n * 3 + c) * 3 + c]).toBeCloseTo(variance[n * 3 + c], 12);
  });

  it('samples last-layer weights with the posterior covariance', () => {
    // Empirical covariance of 20,000 draws against (H + δI)⁻¹: the SE of an entry is
    // √((Σ_ii Σ_jj + Σ_ij²) / S); 5 SE over 36 entries keeps a false alarm below 1e-4.
    const { map, data } = classificationProblem(50, 1, 3, 8);
    for (const hessian of ['diagonal', 'kron'] as const) {
      const laplace = fitLastLayerCurvature(map, data, hessian, 0.5);
      const covariance = laplace.posteriorCovariance();
      const size = laplace.parameterCount;
      const samples = 20_000;
      const stream = new SeedStream(13);
      const empirical = new Float64Array(size * size);
      for (let s = 0; s < samples; s += 1) {
        const draw = laplace.samplePerturbation(stream);
        for (let i = 0; i < size; i += 1)
          for (let j = 0; j < size; j += 1) empirical[i * size + j] += (draw[i] * draw[j]) / samples;
      }
      for (let i = 0; i < size; i += 1) {
        for (let j = 0; j < size; j += 1) {
          const standardError = Math.sqrt(
            (covariance[i * size + i] * covariance[j * size + j] + covariance[i * size + j] ** 2) / samples,
          );
          expect(Math.abs(empirical[i * size + j] - covariance[i * size + j])).toBeLessThan(5 * standardError);
        }
      }
    }
  });

  it('chooses the prior precision on a validation split at the best of its grid', () => {
    const { map, data } = classificationProblem(300, 3, 4, 9);
    const validation = classificationProblem(100, 3, 4, 10).data;
    const { laplace, priorPrecision } = fitLastLayerLaplace(map, data, {
      hessian: 'diagonal',
      priorPrecision: { kind: 'validation', validation },
    });
    const choice = selectPriorPrecisionOnValidation(laplace, validation);
    expect(choice.curve).toHaveLength(101);
    expect(priorPrecision.priorPrecision).toBe(choice.priorPrecision);
    expect(laplace.priorPrecision).toBe(choice.priorPrecision);
    for (const point of choice.curve) expect(point.objective).toBeLessThanOrEqual(choice.objective);
  });

  it('refuses inputs that do not fit the layer with whole sentences', () => {
    const { map, data } = classificationProblem(10, 2, 3, 11);
    expect(() => fitLastLayerCurvature({ ...map, bias: [0, 0] }, data, 'kron', 1)).toThrow(
      'A last layer of 2 inputs and 3 outputs needs a kernel of 6 and a bias of 3 values; found 6 and 2.',
    );
    expect(() =>
      fitLastLayerCurvature(
        map,
        { ...data, observations: { kind: 'classification', labels: new Int32Array(10).fill(3) } },
        'kron',
        1,
      ),
    ).toThrow('Label 3 of example 0 is not a class index in 0..2.');
    const laplace = fitLastLayerCurvature(map, data, 'kron', 1);
    expect(() => laplace.predictRegression({ features: [0, 0], count: 1 })).toThrow(
      'The Gaussian predictive needs a regression last layer; this one is a classifier.',
    );
    expect(() => laplace.withPriorPrecision(0)).toThrow('The prior precision must be positive and finite, found 0.');
  });
});

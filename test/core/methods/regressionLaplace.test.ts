/**
 * Last-layer Laplace on a deterministic sinusoid run (issue 11): the network is trained for 200
 * epochs, rebuilt from its checkpoint the way the post-hoc worker rebuilds it, and the
 * Laplace band is checked against the closed form of Bayesian linear regression on the last
 * layer's features: Σ = (Φ̃ᵀΦ̃/σ² + δI)⁻¹, var f(x) = ã(x)ᵀ Σ ã(x); δ maximises the evidence
 * log p(D | θ̂) − ½ log det(Φ̃ᵀΦ̃/σ² + δI) + (K/2) log δ − (δ/2)‖θ̂‖².
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { sinusoidConfigSchema, type SinusoidConfig } from '../../../core/experiments/sinusoid/config';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import { sinusoidTrainer } from '../../../core/experiments/sinusoid/trainer';
import { rawMethodOptions } from '../../../core/contract/methodConfig';
import { cholesky, inverseSymmetricPositiveDefinite, logDeterminantFromCholesky } from '../../../core/linalg/symmetric';
import { lastLayerFeatures, lastLayerMap } from '../../../core/methods/networkOutputs';
import { evaluateRegressionLaplace, fitRegressionLaplace } from '../../../core/methods/regressionLaplace';
import { withCheckpointValues } from '../../../core/ood/checkpointNetwork';
import { SeedStream } from '../../../core/random/seedStream';
import type { TrainingCheckpoint } from '../../../core/training/checkpoint';
import { pointRegressionModel } from '../../../core/training/pointRegressionTrainer';
import { useCpuBackend } from '../../fixtures/testBackend';

beforeAll(useCpuBackend);

const config: SinusoidConfig = sinusoidConfigSchema.parse({
  ...sinusoidPresets[0].config,
  method: 'deterministic',
  epochs: 200,
  evalEvery: 200,
  gridPoints: 301,
  seed: 1,
  backend: 'cpu',
});

let checkpoint: TrainingCheckpoint;

beforeAll(async () => {
  await sinusoidTrainer.run(
    config,
    {
      emit: () => {},
      shouldStop: () => false,
      checkpoint: (state) => {
        checkpoint = state;
      },
    },
    { loadDataset: () => Promise.reject(new Error('no dataset')) },
  );
}, 300_000);

const model = () =>
  withCheckpointValues(
    pointRegressionModel(config, rawMethodOptions(config), new SeedStream(99)),
    checkpoint.variables,
  );
const problem = () => sinusoidTrainer.regressionProblem!(config);

describe('last-layer Laplace on a deterministic regression run', () => {
  it('gives the closed-form linear-Gaussian band and the evidence-maximising prior precision', () => {
    const network = model();
    try {
      const args = {
        model: network,
        problem: problem(),
        noiseStd: config.noiseStd,
        gridPoints: config.gridPoints,
        hessian: 'kron' as const,
        priorPrecision: 'marginalLikelihood' as const,
      };
      const { laplace } = fitRegressionLaplace(args);
      const delta = laplace.priorPrecision;
      const mlp = network.networks[0];
      const { data } = problem();
      const train = lastLayerFeatures(mlp, {
        values: Float32Array.from(data.x),
        count: data.x.length,
        inputShape: [1],
      });
      const map = lastLayerMap(mlp);
      const inputs = map.inputUnits + 1;
      const design = (features: ArrayLike<number>, n: number) =>
        Array.from({ length: inputs }, (_, i) => (i < map.inputUnits ? features[n * map.inputUnits + i] : 1));
      const gram = new Float64Array(inputs * inputs);
      for (let n = 0; n < train.count; n += 1) {
        const a = design(train.features, n);
        for (let i = 0; i < inputs; i += 1) for (let j = 0; j < inputs; j += 1) gram[i * inputs + j] += a[i] * a[j];
      }
      const noiseVariance = config.noiseStd ** 2;
      const precisionAt = (d: number) =>
        gram.map((value, index) => value / noiseVariance + (index % (inputs + 1) === 0 ? d : 0));
      const theta = [...Array.from(map.kernel), ...Array.from(map.bias)];
      const thetaNorm = theta.reduce((sum, value) => sum + value * value, 0);
      let logLikelihood = 0;
      for (let n = 0; n < train.count; n += 1) {
        const a = design(train.features, n);
        const f = a.reduce((sum, value, i) => sum + value * theta[i], 0);
        logLikelihood += (-0.5 * (data.y[n] - f) ** 2) / noiseVariance - 0.5 * Math.log(2 * Math.PI * noiseVariance);
      }
      const evidence = (d: number) =>
        logLikelihood -
        0.5 * logDeterminantFromCholesky(cholesky(precisionAt(d), inputs), inputs) +
        0.5 * inputs * Math.log(d) -
        0.5 * d * thetaNorm;
      // The chosen δ is the evidence's maximum: ±2 % either way is lower, and the two formulas agree.
      expect(evidence(delta)).toBeGreaterThan(evidence(delta * 1.02));
      expect(evidence(delta)).toBeGreaterThan(evidence(delta / 1.02));
      expect(laplace.logMarginalLikelihood()).toBeCloseTo(evidence(delta), 6);

      // The band's variance at every grid point is ãᵀ Σ ã with Σ the exact posterior covariance.
      const covariance = inverseSymmetricPositiveDefinite(precisionAt(delta), inputs);
      const result = evaluateRegressionLaplace(args);
      const grid = result.band.grid;
      const gridFeatures = lastLayerFeatures(mlp, {
        values: Float32Array.from(grid),
        count: grid.length,
        inputShape: [1],
      });
      let largestRelative = 0;
      for (let n = 0; n < grid.length; n += 1) {
        const a = design(gridFeatures.features, n);
        let variance = 0;
        for (let i = 0; i < inputs; i += 1)
          for (let j = 0; j < inputs; j += 1) variance += a[i] * covariance[i * inputs + j] * a[j];
        largestRelative = Math.max(
          largestRelative,
          Math.abs(result.band.std[n] - Math.sqrt(variance)) / Math.sqrt(variance),
        );
      }
      expect(largestRelative).toBeLessThan(1e-6);
      expect(result.priorPrecision).toBe(delta);
    } finally {
      network.dispose();
    }
  });

  it('scores the band before (no width: no ratio) and after (wider away from the data)', () => {
    const network = model();
    try {
      const result = evaluateRegressionLaplace({
        model: network,
        problem: problem(),
        noiseStd: config.noiseStd,
        gridPoints: config.gridPoints,
        hessian: 'kron',
        priorPrecision: 'marginalLikelihood',
      });
      expect(result.before.stdRatio).toBeNull();
      expect(result.after.rmseInside).toBe(result.before.rmseInside);
      expect(result.after.stdRatio).toBeGreaterThan(1);
      expect(result.after.coverageInside).toBeGreaterThanOrEqual(result.before.coverageInside);
      expect(result.trainingPoints).toBe(32);
    } finally {
      network.dispose();
    }
  });

  it('refuses to pick the prior precision on a validation split the run does not have', () => {
    const network = model();
    try {
      expect(() =>
        fitRegressionLaplace({
          model: network,
          problem: problem(),
          noiseStd: 1,
          gridPoints: 11,
          hessian: 'kron',
          priorPrecision: 'validation',
        }),
      ).toThrow(/no validation split.*use the marginal likelihood/);
    } finally {
      network.dispose();
    }
  });
});

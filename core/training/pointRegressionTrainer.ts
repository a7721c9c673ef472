/**
 * A 1-D regression trained with a point-weight method (deterministic, MC dropout, deep ensemble)
 * on the same data, standardization, grid and figures of merit as the variational one
 * (./regressionTrainer.ts), so the methods compare inference, not set-up:
 *
 * - deterministic / MC dropout: one MLP with the known noise σ, loss = mean Gaussian NLL +
 *   weightDecay · ½ Σ w² (one dropout mask per step for MC dropout);
 * - deep ensemble: M members, each predicting a mean and a variance (Lakshminarayanan et al.
 *   2017), loss = Σ_m (mean heteroscedastic NLL_m) + weightDecay · ½ Σ w².
 *
 * The band's std is the epistemic part, as VI's: the spread of the T dropout passes or of the M
 * members' means (the ensemble's learned variance is aleatoric and stays out of it); a
 * deterministic net has none, so its std is 0 and its std ratio undefined (null). Reported NLL is
 * summed over the points, as VI's, so the loss curves share a scale.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RegressionSummary } from '../contract/runSummary';
import { takeScalars, takeValues } from '../engine/readback';
import type { ExperimentHooks } from '../experiments/trainer';
import { gaussianHead, heteroscedasticGaussianNll } from '../methods/ensemble';
import { assertMethodCombination, type MethodId } from '../methods/index';
import { knownNoiseGaussianNll } from '../methods/pointLosses';
import { PointModel } from '../methods/pointModel';
import { pointMlpNetwork } from '../models/pointNetworks';
import type { SeedStream } from '../random/seedStream';
import type { RegressionProblem, RegressionTrainingConfig } from './regressionTrainer';
import type { TrainingCheckpoint } from './checkpoint';
import { regressionSetting, runRegressionTraining } from './regressionHarness';
import type { StepMetrics } from './trainingLoop';

/**
 * The point model of a regression run (its method's MLP, or M of them): what the trainer trains
 * and what a post-hoc method rebuilds from the run's checkpoint (variables by stable name).
 */
export function pointRegressionModel(
  config: Pick<RegressionTrainingConfig, 'hiddenUnits'> & { method: MethodId },
  methodOptions: Record<string, unknown>,
  seeds: SeedStream,
): PointModel {
  return new PointModel(
    { method: config.method, options: methodOptions },
    (options, networkSeeds) =>
      pointMlpNetwork(
        {
          inputUnits: 1,
          hiddenUnits: config.hiddenUnits,
          outputs: options.meanAndVariance ? 2 : 1,
          dropoutRate: options.dropoutRate,
          namePrefix: options.namePrefix,
        },
        networkSeeds,
      ),
    seeds,
  );
}

export async function trainPointRegression(
  config: RegressionTrainingConfig & { method: MethodId },
  methodOptions: Record<string, unknown>,
  problem: RegressionProblem,
  hooks: ExperimentHooks,
  resume?: TrainingCheckpoint,
): Promise<RegressionSummary> {
  assertMethodCombination({ method: config.method, taskKind: 'regression', options: methodOptions });
  const setting = regressionSetting(config, problem);
  const { pointCount, nllShift, yStd } = setting;

  const model = pointRegressionModel(config, methodOptions, setting.seeds.init);
  const optimizer = tf.train.adam(config.learningRate);
  const inputs = tf.tensor2d(setting.networkX, [pointCount, 1]);
  const targets = tf.tensor1d(setting.networkY as number[]);

  const trainStep = async (): Promise<StepMetrics> => {
    let parts: { nll: tf.Scalar; penalty: tf.Scalar; mse: tf.Scalar } | undefined;
    let ensembleParts: { members: tf.Scalar[]; mixture: tf.Scalar } | undefined;
    const loss = optimizer.minimize(
      () => {
        const context = { mode: 'sample' as const, seeds: setting.seeds.train };
        const outputs = model.networks.map((network) => network.apply(inputs, context));
        const heads = outputs.map((output) =>
          model.ensemble ? gaussianHead(output) : { mean: tf.reshape(output, [-1]), variance: null },
        );
        const memberNll = heads.map(({ mean, variance }) =>
          variance
            ? heteroscedasticGaussianNll(targets, mean, variance)
            : knownNoiseGaussianNll(targets, mean, setting.noiseStd),
        );
        const nllSum = tf.addN(memberNll);
        if (model.ensemble) {
          // Each member's summed NLL and the mixture's: log p(y | x) = logsumexp_m log N(y; μ_m, σ²_m) − log M.
          const logDensities = tf.stack(
            heads.map(({ mean, variance }) =>
              tf.neg(
                tf.add(
                  tf.mul(0.5, tf.log(tf.mul(2 * Math.PI, variance!))),
                  tf.div(tf.square(tf.sub(targets, mean)), tf.mul(2, variance!)),
                ),
              ),
            ),
          );
          const mixture = tf.sub(tf.logSumExp(logDensities, 0), Math.log(heads.length));
          ensembleParts = {
            members: memberNll.map((value) => tf.keep(tf.mul(value, pointCount) as tf.Scalar)),
            mixture: tf.keep(tf.neg(tf.sum(mixture)) as tf.Scalar),
          };
        }
        const penalty = tf.addN(model.networks.map((network) => network.l2Penalty())) as tf.Scalar;
        const mixtureMean = tf.mean(tf.stack(heads.map((head) => head.mean)), 0);
        const mse = tf.mean(tf.square(tf.sub(mixtureMean, targets))) as tf.Scalar;
        parts = {
          nll: tf.keep(tf.mul(tf.div(nllSum, heads.length), pointCount) as tf.Scalar),
          penalty: tf.keep(penalty),
          mse: tf.keep(mse),
        };
        return tf.add(nllSum, tf.mul(penalty, model.weightDecay)) as tf.Scalar;
      },
      true,
      model.trainableVariables,
    )!;
    const { nll, penalty, mse } = await takeScalars({
      loss,
      nll: parts!.nll,
      penalty: parts!.penalty,
      mse: parts!.mse,
    });
    const summedNll = nll + nllShift;
    const metrics: StepMetrics = {
      loss: summedNll + model.weightDecay * penalty,
      nll: summedNll,
      kl: penalty,
      klWeight: model.weightDecay,
      mse: mse * yStd ** 2,
    };
    if (ensembleParts) {
      const tensors: Record<string, tf.Tensor> = { mixture: ensembleParts.mixture };
      ensembleParts.members.forEach((value, m) => (tensors[`member${m}`] = value));
      const values = await takeScalars(tensors);
      metrics.memberNll = ensembleParts.members.map((_, m) => values[`member${m}`] + nllShift);
      metrics.ensembleNll = values.mixture + nllShift;
    }
    return metrics;
  };

  /** The spread of the T dropout passes or of the M members' means (the ensemble's learned variance is aleatoric). */
  const predictBand = async () => {
    const passes = model.fixedDraws ?? config.predictiveDraws;
    const gridLength = setting.networkGrid.length;
    const input = tf.tensor2d(setting.networkGrid, [gridLength, 1]);
    const sum = new Float64Array(gridLength);
    const sumOfSquares = new Float64Array(gridLength);
    try {
      for (let pass = 0; pass < passes; pass += 1) {
        const mean = tf.tidy(() => {
          const output = model.drawOutput(input, pass, setting.seeds.evaluation.next());
          return model.ensemble ? gaussianHead(output).mean : tf.reshape(output, [-1]);
        });
        const values = await takeValues(mean);
        for (let i = 0; i < gridLength; i += 1) {
          sum[i] += values[i];
          sumOfSquares[i] += values[i] * values[i];
        }
      }
    } finally {
      input.dispose();
    }
    const mean = Array.from(sum, (total) => total / passes);
    const std = Array.from(sumOfSquares, (total, i) => Math.sqrt(Math.max(total / passes - mean[i] ** 2, 0)));
    return { mean, std };
  };

  try {
    return await runRegressionTraining({
      config,
      problem,
      setting,
      hooks,
      resume,
      variables: model.trainableVariables,
      optimizer,
      trainStep,
      predictBand,
      summaryExtras: async () => ({
        method: config.method,
        ...(model.ensemble ? { members: model.networks.length } : {}),
        parameterCount: model.parameterCount,
      }),
    });
  } finally {
    inputs.dispose();
    targets.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

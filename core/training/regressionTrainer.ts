/**
 * Bayes by Backprop for a 1-D regression (the sinusoid of the reference text, the cubic of
 * Hernández-Lobato & Adams 2015): a variational MLP fitted full batch to the problem's points,
 * loss = expected Gaussian NLL (known σ, summed over the points, averaged over K weight samples)
 * + klWeight · KL with klWeight = 1 / (batches per epoch) = 1 by default. Every `evalEvery` epochs
 * it emits the predictive band over the problem's grid from posterior draws, with its figures of
 * merit (core/scoring/bandFiguresOfMerit.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import '../engine/gradients';
import { rawMethodOptions, trainsPointWeights, type MethodFields } from '../contract/methodConfig';
import type { RegressionSummary } from '../contract/runSummary';
import type { RegressionData } from '../data/regressionData';
import { takeScalars } from '../engine/readback';
import { regressionPredictive } from '../evaluation/regressionPredictive';
import type { ExperimentHooks } from '../experiments/trainer';
import { gaussianNll } from '../losses/gaussianNll';
import { variationalMlp, type VariationalMlpConfig } from '../models/variationalMlp';
import type { BandRegions } from '../scoring/bandFiguresOfMerit';
import type { TrainingCheckpoint } from './checkpoint';
import { trainPointRegression } from './pointRegressionTrainer';
import { regressionSetting, runRegressionTraining } from './regressionHarness';
import type { StepMetrics } from './trainingLoop';

/** The settings of a regression run the trainer reads (every regression experiment's config has them). */
export interface RegressionTrainingConfig extends VariationalMlpConfig, Partial<MethodFields> {
  experiment: string;
  preset: string;
  seed: number;
  epochs: number;
  learningRate: number;
  /** Weight samples averaged in the expected NLL of each step (K). */
  samplesPerStep: number;
  /** Known noise σ of the Gaussian likelihood. */
  noiseStd: number;
  /** Null: 1 / (batches per epoch) = 1 (full batch). */
  klWeight: number | null;
  predictiveDraws: number;
  gridPoints: number;
  evalEvery: number;
}

/**
 * The affine map between data units and the network's: x' = (x − xMean) / xStd, y' = (y − yMean) / yStd.
 * Hernández-Lobato & Adams (2015) standardise the training data like this, so that an N(0, 1)
 * weight prior suits a target of any scale (the cubic's x³ reaches ±64).
 */
export interface Standardization {
  xMean: number;
  xStd: number;
  yMean: number;
  yStd: number;
}

/** The standardization of a data set by its own means and standard deviations. */
export function standardizationOf(data: RegressionData): Standardization {
  const moments = (values: readonly number[]) => {
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
    return { mean, std: Math.sqrt(variance) || 1 };
  };
  const x = moments(data.x);
  const y = moments(data.y);
  return { xMean: x.mean, xStd: x.std, yMean: y.mean, yStd: y.std };
}

/** What a regression experiment brings: its data, where the band is drawn, and how it is judged. */
export interface RegressionProblem {
  data: RegressionData;
  /** The band is computed on linspace(grid.min, grid.max, config.gridPoints). */
  grid: { min: number; max: number };
  regions: BandRegions;
  /**
   * Train in standardized units (absent: in data units, as the reference text's sinusoid). Every
   * reported number — loss, NLL, MSE, the band — is in data units either way.
   */
  standardization?: Standardization;
}

export async function trainRegression(
  config: RegressionTrainingConfig,
  problem: RegressionProblem,
  hooks: ExperimentHooks,
  resume?: TrainingCheckpoint,
): Promise<RegressionSummary> {
  const method = config.method ?? 'vi';
  if (trainsPointWeights(method)) {
    const fields: MethodFields = { members: 5, dropout: 0.1, weightDecay: 5e-4, ...config, method };
    return trainPointRegression({ ...config, method }, rawMethodOptions(fields), problem, hooks, resume);
  }
  const setting = regressionSetting(config, problem);
  const { pointCount, nllShift } = setting;
  const standardized = problem.standardization !== undefined;
  const mseScale = setting.yStd ** 2;
  const batchesPerEpoch = 1;
  const klWeight = config.klWeight ?? 1 / batchesPerEpoch;
  const samples = config.samplesPerStep;

  const network = variationalMlp(config, setting.seeds.init);
  const optimizer = tf.train.adam(config.learningRate);
  // Local reparameterization samples per example, so S samples are S copies of the batch;
  // the other estimators take a leading sample dimension of S whole-network draws.
  const inputs = tf.tidy(() => {
    const x = tf.tensor2d(setting.networkX, [pointCount, 1]);
    if (samples === 1) return x;
    return config.estimator === 'local' ? tf.tile(x, [samples, 1]) : tf.tile(tf.expandDims(x, 0), [samples, 1, 1]);
  });
  const targets = tf.tensor2d(setting.networkY as number[], [pointCount, 1]);

  const trainStep = async (): Promise<StepMetrics> => {
    let parts: { nll: tf.Scalar; kl: tf.Scalar; mse: tf.Scalar } | undefined;
    const loss = optimizer.minimize(
      () => {
        const { output, kl } = network.apply(inputs, { mode: 'sample', seeds: setting.seeds.train });
        const predictions = samples === 1 ? output : tf.reshape(output, [samples, pointCount, 1]);
        const nll = gaussianNll(targets, predictions, setting.noiseStd);
        const mse = tf.mean(tf.square(tf.sub(predictions, targets))) as tf.Scalar;
        parts = { nll: tf.keep(nll), kl: tf.keep(kl), mse: tf.keep(mse) };
        return tf.add(nll, tf.mul(kl, klWeight)) as tf.Scalar;
      },
      true,
      network.trainableVariables,
    )!;
    const {
      loss: lossValue,
      nll,
      kl,
      mse,
    } = await takeScalars({ loss, nll: parts!.nll, kl: parts!.kl, mse: parts!.mse });
    if (!standardized) return { loss: lossValue, nll, kl, klWeight, mse };
    return { loss: lossValue + nllShift, nll: nll + nllShift, kl, klWeight, mse: mse * mseScale };
  };

  try {
    return await runRegressionTraining({
      config,
      problem,
      setting,
      hooks,
      resume,
      variables: network.trainableVariables,
      optimizer,
      trainStep,
      predictBand: () =>
        regressionPredictive(network, setting.networkGrid, config.predictiveDraws, setting.seeds.evaluation),
      summaryExtras: async () => {
        const learnedPrior = await network.layers[0].weights().kernel.prior.learnedParameters();
        return {
          method,
          ...Object.fromEntries(Object.entries(learnedPrior).map(([key, value]) => [`prior.${key}`, value])),
        };
      },
    });
  } finally {
    inputs.dispose();
    targets.dispose();
    optimizer.dispose();
    network.dispose();
  }
}

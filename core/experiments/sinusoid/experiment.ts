/**
 * The sinusoid regression of the reference text: a 1-20-20-1 variational MLP fitted by Bayes by
 * Backprop to 32 noisy samples of 10 sin(2πx), full batch, loss = expected Gaussian NLL (known σ)
 * + klWeight · KL, with klWeight = 1 / (batches per epoch) = 1. Every `evalEvery` epochs it emits
 * the predictive band over [−1.5, 1.5] from posterior draws.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../../engine/gradients';
import type { SinusoidConfig } from '../../contract/runConfig';
import type { RunSummary } from '../../contract/workbenchApi';
import { gaussianNll } from '../../losses/gaussianNll';
import { SeedStream } from '../../random/seedStream';
import { takeScalars } from '../../engine/readback';
import type { TrainingCheckpoint } from '../../training/checkpoint';
import { runTrainingLoop, type StepMetrics } from '../../training/trainingLoop';
import { captureTrainingState, restoreTrainingState, type TrainingStateParts } from '../../training/trainingState';
import type { Experiment, ExperimentEnvironment, ExperimentHooks } from '../experiment';
import { linspace, sinusoidData, trueFunction } from './data';
import { sinusoidFiguresOfMerit, type SinusoidFiguresOfMerit } from './figuresOfMerit';
import { sinusoidNetwork } from './network';
import { regressionPredictive } from './predictive';
import { sinusoidPresets } from './presets';

const TRAINING_POINTS = 32;
const GRID_LIMIT = 1.5;

export async function runSinusoid(config: SinusoidConfig, hooks: ExperimentHooks, _environment?: ExperimentEnvironment, resume?: TrainingCheckpoint): Promise<RunSummary> {
  const seeds = new SeedStream(config.seed);
  const initSeeds = seeds.fork(1);
  const trainSeeds = seeds.fork(2);
  const evalSeeds = seeds.fork(3);
  const data = sinusoidData(config.seed, TRAINING_POINTS, config.noiseStd);
  const grid = linspace(-GRID_LIMIT, GRID_LIMIT, config.gridPoints);
  const trueY = grid.map(trueFunction);
  const batchesPerEpoch = 1;
  const klWeight = config.klWeight ?? 1 / batchesPerEpoch;
  const samples = config.samplesPerStep;

  const network = sinusoidNetwork(config, initSeeds);
  const optimizer = tf.train.adam(config.learningRate);
  const variables = network.trainableVariables;
  // Local reparameterization samples per example, so S samples are S copies of the batch;
  // the other estimators take a leading sample dimension of S whole-network draws.
  const inputs = tf.tidy(() => {
    const x = tf.tensor2d(data.x, [TRAINING_POINTS, 1]);
    if (samples === 1) return x;
    return config.estimator === 'local' ? tf.tile(x, [samples, 1]) : tf.tile(tf.expandDims(x, 0), [samples, 1, 1]);
  });
  const targets = tf.tensor2d(data.y, [TRAINING_POINTS, 1]);
  let latest: SinusoidFiguresOfMerit | undefined;

  // Full batch: one batch per step, so the data order needs no position of its own.
  const state: TrainingStateParts = { experiment: 'sinusoid', variables, optimizer, seedStreams: { train: trainSeeds, evaluation: evalSeeds } };
  const saveCheckpoint = async (step: number) => {
    if (hooks.checkpoint) await hooks.checkpoint(await captureTrainingState(state, step, step));
  };

  const trainStep = async (): Promise<StepMetrics> => {
    let parts: { nll: tf.Scalar; kl: tf.Scalar; mse: tf.Scalar } | undefined;
    const loss = optimizer.minimize(
      () => {
        const { output, kl } = network.apply(inputs, { mode: 'sample', seeds: trainSeeds });
        const predictions = samples === 1 ? output : tf.reshape(output, [samples, TRAINING_POINTS, 1]);
        const nll = gaussianNll(targets, predictions, config.noiseStd);
        const mse = tf.mean(tf.square(tf.sub(predictions, targets))) as tf.Scalar;
        parts = { nll: tf.keep(nll), kl: tf.keep(kl), mse: tf.keep(mse) };
        return tf.add(nll, tf.mul(kl, klWeight)) as tf.Scalar;
      },
      true,
      variables,
    )!;
    const values = await takeScalars({ loss, nll: parts!.nll, kl: parts!.kl, mse: parts!.mse });
    return { ...values, klWeight };
  };

  const evaluate = async (step: number) => {
    const { mean, std } = await regressionPredictive(network, grid, config.predictiveDraws, evalSeeds);
    latest = sinusoidFiguresOfMerit(grid, mean, std);
    hooks.emit({ type: 'regression', step, grid, mean, std, trueY, trainX: data.x, trainY: data.y, ...latest });
  };

  try {
    if (resume) await restoreTrainingState(resume, state);
    const result = await runTrainingLoop({
      totalSteps: config.epochs,
      startStep: resume?.step,
      evalEvery: config.evalEvery,
      hooks,
      trainStep,
      evaluate,
      saveCheckpoint,
    });
    const learnedPrior = await network.layers[0].weights().kernel.prior.learnedParameters();
    return {
      experiment: 'sinusoid',
      preset: config.preset,
      seed: config.seed,
      epochs: result.stepsDone,
      stepsPerSecond: result.stepsPerSecond,
      finalLoss: result.lastMetrics?.loss ?? null,
      finalNll: result.lastMetrics?.nll ?? null,
      finalKl: result.lastMetrics?.kl ?? null,
      stdRatio: latest?.stdRatio ?? null,
      rmseInside: latest?.rmseInside ?? null,
      coverageInside: latest?.coverageInside ?? null,
      ...Object.fromEntries(Object.entries(learnedPrior).map(([key, value]) => [`prior.${key}`, value])),
    };
  } finally {
    inputs.dispose();
    targets.dispose();
    optimizer.dispose();
    network.dispose();
  }
}

export const sinusoidExperiment: Experiment<SinusoidConfig> = {
  name: 'sinusoid',
  title: 'Sinusoid regression (DenseVariational 20-20-1)',
  presets: sinusoidPresets,
  totalSteps: (config) => config.epochs,
  run: runSinusoid,
};

/**
 * What every 1-D regression trainer shares, whatever its inference (variational weights in
 * ./regressionTrainer.ts, point weights in ./pointRegressionTrainer.ts), so the methods compare
 * inference, not set-up: the seed streams, the data in network units (standardized or not), the
 * band's grid, checkpointing, the evaluation that turns a band in network units into data units
 * with its figures of merit, the training loop and the summary.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { RegressionSummary } from '../contract/runSummary';
import { linspace } from '../data/regressionData';
import type { ExperimentHooks } from '../experiments/trainer';
import { SeedStream } from '../random/seedStream';
import { bandFiguresOfMerit, type BandFiguresOfMerit } from '../scoring/bandFiguresOfMerit';
import type { TrainingCheckpoint } from './checkpoint';
import type { RegressionProblem, RegressionTrainingConfig } from './regressionTrainer';
import { runTrainingLoop, type StepMetrics } from './trainingLoop';
import { fullBatchCheckpointing, restoreTrainingState, type TrainingStateParts } from './trainingState';

/** A regression problem as the network sees it. */
export interface RegressionSetting {
  seeds: { init: SeedStream; train: SeedStream; evaluation: SeedStream };
  pointCount: number;
  /** Training inputs and targets in network units (the data themselves without a standardization). */
  networkX: number[];
  networkY: readonly number[];
  /** The known noise σ in network units. */
  noiseStd: number;
  /** Summed Gaussian NLL in data units = the network's + nllShift (N log yStd, the density's Jacobian); 0 unstandardized. */
  nllShift: number;
  /** Target scale: a network-unit std or RMSE times yStd is in data units (1 unstandardized). */
  yStd: number;
  /** Where the band is drawn, in data units and in network units. */
  grid: number[];
  networkGrid: number[];
  trueY: number[];
}

export function regressionSetting(config: RegressionTrainingConfig, problem: RegressionProblem): RegressionSetting {
  const seeds = new SeedStream(config.seed);
  const { data, standardization } = problem;
  const toNetworkX = (x: number) => (standardization ? (x - standardization.xMean) / standardization.xStd : x);
  const grid = linspace(problem.grid.min, problem.grid.max, config.gridPoints);
  return {
    seeds: { init: seeds.fork(1), train: seeds.fork(2), evaluation: seeds.fork(3) },
    pointCount: data.x.length,
    networkX: data.x.map(toNetworkX),
    networkY: standardization ? data.y.map((y) => (y - standardization.yMean) / standardization.yStd) : data.y,
    noiseStd: standardization ? config.noiseStd / standardization.yStd : config.noiseStd,
    nllShift: standardization ? data.x.length * Math.log(standardization.yStd) : 0,
    yStd: standardization?.yStd ?? 1,
    grid,
    networkGrid: standardization ? grid.map(toNetworkX) : grid,
    trueY: grid.map(problem.regions.trueFunction),
  };
}

export interface RegressionTraining {
  config: RegressionTrainingConfig;
  problem: RegressionProblem;
  setting: RegressionSetting;
  hooks: ExperimentHooks;
  resume?: TrainingCheckpoint;
  variables: tf.Variable[];
  optimizer: tf.AdamOptimizer;
  trainStep(): Promise<StepMetrics>;
  /** The predictive mean and std over `setting.networkGrid`, in network units. */
  predictBand(): Promise<{ mean: number[]; std: number[] }>;
  /** The summary's fields that belong to the inference (method, learned prior, members, …). */
  summaryExtras(): Promise<Partial<RegressionSummary>>;
}

/** Trains to the end (or a stop), emitting the band every `evalEvery` epochs; returns the summary. */
export async function runRegressionTraining(training: RegressionTraining): Promise<RegressionSummary> {
  const { config, problem, setting, hooks, resume } = training;
  const { standardization, data } = problem;
  const state: TrainingStateParts = {
    experiment: config.experiment,
    variables: training.variables,
    optimizer: training.optimizer,
    seedStreams: { train: setting.seeds.train, evaluation: setting.seeds.evaluation },
  };
  let latest: BandFiguresOfMerit | undefined;
  const finiteOrNull = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? value : null);

  const evaluate = async (step: number) => {
    const band = await training.predictBand();
    const mean = standardization
      ? band.mean.map((value) => value * standardization.yStd + standardization.yMean)
      : band.mean;
    const std = standardization ? band.std.map((value) => value * standardization.yStd) : band.std;
    latest = bandFiguresOfMerit(setting.grid, mean, std, problem.regions);
    hooks.emit({
      type: 'regression',
      step,
      grid: setting.grid,
      mean,
      std,
      trueY: setting.trueY,
      trainX: data.x,
      trainY: data.y,
      ...latest,
      // A band without spread (a deterministic net) has no std ratio.
      stdRatio: finiteOrNull(latest.stdRatio),
    });
  };

  if (resume) await restoreTrainingState(resume, state);
  const result = await runTrainingLoop({
    totalSteps: config.epochs,
    startStep: resume?.step,
    evalEvery: config.evalEvery,
    hooks,
    trainStep: training.trainStep,
    evaluate,
    saveCheckpoint: fullBatchCheckpointing(state, hooks),
  });
  return {
    experiment: config.experiment,
    preset: config.preset,
    seed: config.seed,
    epochs: result.stepsDone,
    stepsPerSecond: result.stepsPerSecond,
    finalLoss: result.lastMetrics?.loss ?? null,
    finalNll: result.lastMetrics?.nll ?? null,
    finalKl: result.lastMetrics?.kl ?? null,
    stdRatio: finiteOrNull(latest?.stdRatio),
    rmseInside: latest?.rmseInside ?? null,
    coverageInside: latest?.coverageInside ?? null,
    ...(await training.summaryExtras()),
  };
}

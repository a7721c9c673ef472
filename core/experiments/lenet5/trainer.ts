/**
 * Bayesian LeNet5 on MNIST-form images (the reference text's second workload). Each step draws a
 * batch, runs the network with the run's estimator (Flipout by default) and minimises
 * loss = mean NLL over the batch + klWeight · ΣKL, klWeight = klScale / N_train by default (with
 * klScale = 1, the negative ELBO per training example). Every `evalEvery` steps and at the end it evaluates T posterior
 * draws on held-out and noise images (`heldout` event) and summarises the weight posteriors
 * (`posterior` event).
 */
import * as tf from '@tensorflow/tfjs-core';
import '../../engine/gradients';
import type { ClassificationSummary } from '../../contract/runSummary';
import { BatchSampler } from '../../data/batches';
import { CLASS_COUNT, IMAGE_SIZE } from '../../data/dataset';
import { registerFastGradients } from '../../engine/fastGradients';
import { takeScalars } from '../../engine/readback';
import { posteriorStatistics } from '../../evaluation/posteriorStatistics';
import { SeedStream } from '../../random/seedStream';
import type { TrainingCheckpoint } from '../../training/checkpoint';
import { runTrainingLoop, type StepMetrics } from '../../training/trainingLoop';
import { captureTrainingState, restoreTrainingState, type TrainingStateParts } from '../../training/trainingState';
import type { ExperimentEnvironment, ExperimentHooks, ExperimentTrainer } from '../trainer';
import type { Lenet5Config } from './config';
import { startLenet5DataParallel, type Lenet5DataParallel } from './dataParallel';
import { evaluateClassifier, makeEvaluationSet, type ClassifierEvaluation } from './evaluation';
import { lenet5Network } from './network';

export async function runLenet5(
  config: Lenet5Config,
  hooks: ExperimentHooks,
  environment: ExperimentEnvironment,
  resume?: TrainingCheckpoint,
): Promise<ClassificationSummary> {
  // Convolution and batched-matMul gradients as forward ops: needed on wasm (it has no
  // Conv2DBackpropFilter) and faster there; exact on every backend.
  registerFastGradients();
  const dataset = await environment.loadDataset(config.dataset);
  const seeds = new SeedStream(config.seed);
  const initSeeds = seeds.fork(1);
  const trainSeeds = seeds.fork(2);
  const evaluationSeed = seeds.fork(3).next();
  const sampler = new BatchSampler(dataset.train, config.batchSize, seeds.fork(4).next());
  const klWeight = config.klWeight ?? config.klScale / dataset.train.count;
  const network = lenet5Network(config, initSeeds);
  const optimizer = tf.train.adam(config.learningRate);
  const variables = network.trainableVariables;
  const periodicSet = makeEvaluationSet(dataset, config, evaluationSeed, config.evalImages);
  const finalSet = config.evalImages === null ? periodicSet : makeEvaluationSet(dataset, config, evaluationSeed, null);
  let latest: ClassifierEvaluation | undefined;
  // Evaluation uses a fixed seed, so the training stream and the batches drawn are all the randomness to keep.
  const state: TrainingStateParts = { experiment: 'lenet5', variables, optimizer, seedStreams: { train: trainSeeds } };
  let batchesDrawn = 0;
  let parallel: Lenet5DataParallel | null = null;
  const saveCheckpoint = async (step: number) => {
    if (hooks.checkpoint) await hooks.checkpoint(await captureTrainingState(state, step, batchesDrawn));
  };

  const trainStep = async (step: number): Promise<StepMetrics> => {
    setLearningRate(optimizer, scheduledLearningRate(config, step));
    const batch = sampler.next();
    batchesDrawn += 1;
    if (parallel) return parallel.step(batch);
    const images = tf.tensor4d(batch.images, [batch.size, IMAGE_SIZE, IMAGE_SIZE, 1]);
    const labels = tf.tensor1d(batch.labels, 'int32');
    let parts: { nll: tf.Scalar; kl: tf.Scalar; correct: tf.Scalar } | undefined;
    try {
      const loss = optimizer.minimize(
        () => {
          const { output: logits, kl } = network.apply(images, { mode: 'sample', seeds: trainSeeds });
          const oneHot = tf.oneHot(labels, CLASS_COUNT);
          const nll = tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
          const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar;
          parts = { nll: tf.keep(nll), kl: tf.keep(kl), correct: tf.keep(correct) };
          return tf.add(nll, tf.mul(kl, klWeight)) as tf.Scalar;
        },
        true,
        variables,
      )!;
      const { loss: lossValue, nll, kl, correct } = await takeScalars({ loss, ...parts! });
      parts = undefined;
      return { loss: lossValue, nll, kl, klWeight, accuracy: correct / batch.size };
    } finally {
      images.dispose();
      labels.dispose();
      if (parts) Object.values(parts).forEach((t) => t.dispose());
    }
  };

  const evaluate = async (step: number) => {
    const set = step === config.steps ? finalSet : periodicSet;
    latest = await evaluateClassifier(network, set, config, evaluationSeed, parallel?.probabilities);
    hooks.emit({ type: 'heldout', step, ...latest });
    hooks.emit({ type: 'posterior', step, ...(await posteriorStatistics(network)) });
  };

  try {
    const training = { network, optimizer, seeds: trainSeeds, klWeight };
    parallel = await startLenet5DataParallel(config, environment, tf.getBackend(), training);
    if (resume) {
      await restoreTrainingState(resume, state);
      sampler.skip(resume.batchesDrawn); // the same batches, in the same order, as an uninterrupted run
      batchesDrawn = resume.batchesDrawn;
    }
    const result = await runTrainingLoop({
      totalSteps: config.steps,
      startStep: resume?.step,
      evalEvery: config.evalEvery,
      hooks,
      trainStep,
      evaluate,
      saveCheckpoint,
    });
    return {
      experiment: 'lenet5',
      preset: config.preset,
      dataset: config.dataset,
      datasetName: dataset.name,
      estimator: config.estimator,
      seed: config.seed,
      steps: result.stepsDone,
      batchSize: config.batchSize,
      trainImages: dataset.train.count,
      klWeight,
      stepsPerSecond: result.stepsPerSecond,
      workers: parallel?.workers ?? 1,
      finalLoss: result.lastMetrics?.loss ?? null,
      heldoutNats: latest?.heldoutNats ?? null,
      heldoutAccuracy: latest?.accuracy ?? null,
      heldoutImages: latest?.images ?? null,
      ece: latest?.ece ?? null,
      noiseRefusal: latest?.noiseRefusal ?? null,
      digitRefusal: latest?.digitRefusal ?? null,
      meanMaxProbabilityNoise: latest?.meanMaxProbabilityNoise ?? null,
      threshold: config.threshold,
      evalDraws: config.evalDraws,
      evalSeconds: latest?.evalSeconds ?? null,
    };
  } finally {
    await parallel?.close();
    optimizer.dispose();
    network.dispose();
  }
}

/** The learning rate of optimizer step `step` (1-based) under the run's schedule. */
export function scheduledLearningRate(
  config: Pick<Lenet5Config, 'learningRate' | 'learningRateSchedule' | 'steps'>,
  step: number,
): number {
  if (config.learningRateSchedule === 'constant') return config.learningRate;
  return config.learningRate * 0.5 * (1 + Math.cos((Math.PI * (step - 1)) / config.steps));
}

/** tfjs optimizers read `learningRate` on every update but declare it protected; a schedule sets it. */
function setLearningRate(optimizer: tf.AdamOptimizer, learningRate: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
}

export const lenet5Trainer: ExperimentTrainer<Lenet5Config, ClassificationSummary> = {
  name: 'lenet5',
  run: runLenet5,
};

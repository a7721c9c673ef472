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
import { rawMethodOptions, trainsPointWeights } from '../../contract/methodConfig';
import { CLASS_COUNT, IMAGE_SIZE, gatherImages } from '../../data/dataset';
import { registerFastGradients } from '../../engine/fastGradients';
import { takeScalars } from '../../engine/readback';
import { posteriorStatistics } from '../../evaluation/posteriorStatistics';
import { assertMethodCombination, hasEpistemicPart } from '../../methods/index';
import { softmaxCrossEntropy } from '../../methods/pointLosses';
import { PointModel } from '../../methods/pointModel';
import { carveValidationSplit } from '../../methods/temperatureScaling';
import { pointLenet5Network } from '../../models/pointNetworks';
import type { VariationalSequential } from '../../models/variationalSequential';
import { SeedStream } from '../../random/seedStream';
import type { TrainingCheckpoint } from '../../training/checkpoint';
import { runTrainingLoop, type StepMetrics } from '../../training/trainingLoop';
import { captureTrainingState, restoreTrainingState, type TrainingStateParts } from '../../training/trainingState';
import type { ExperimentEnvironment, ExperimentHooks, ExperimentTrainer } from '../trainer';
import { heldOutValidationFraction, type Lenet5Config } from './config';
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
  const { options } = assertMethodCombination({
    method: config.method,
    taskKind: 'classification',
    options: rawMethodOptions(config),
  });
  // Post-hoc methods fit on images the run never trained on: the same seeded split they carve.
  const validationFraction = heldOutValidationFraction(config);
  const trainImages =
    validationFraction > 0
      ? gatherImages(dataset.train, carveValidationSplit(dataset.train.count, validationFraction, config.seed).training)
      : dataset.train;
  const sampler = new BatchSampler(trainImages, config.batchSize, seeds.fork(4).next());
  const pointModel = trainsPointWeights(config.method)
    ? new PointModel(
        { method: config.method, options },
        (networkOptions, networkSeeds) =>
          pointLenet5Network({ ...networkOptions, convPadding: config.convPadding }, networkSeeds),
        initSeeds,
      )
    : null;
  const variational: VariationalSequential | null = pointModel ? null : lenet5Network(config, initSeeds);
  // Point methods report their weight-decay term where VI reports ΣKL: loss = nll + klWeight · kl either way.
  const klWeight = pointModel ? pointModel.weightDecay : (config.klWeight ?? config.klScale / trainImages.count);
  const optimizer = tf.train.adam(config.learningRate);
  const variables = pointModel ? pointModel.trainableVariables : variational!.trainableVariables;
  const periodicSet = makeEvaluationSet(dataset, config, evaluationSeed, config.evalImages);
  const finalSet = config.evalImages === null ? periodicSet : makeEvaluationSet(dataset, config, evaluationSeed, null);
  let latest: ClassifierEvaluation | undefined;
  // Evaluation uses a fixed seed, so the training stream and the batches drawn are all the randomness to keep.
  const state: TrainingStateParts = { experiment: 'lenet5', variables, optimizer, seedStreams: { train: trainSeeds } };
  let batchesDrawn = 0;
  let parallel: Lenet5DataParallel | null = null;
  const saveCheckpoint = async (step: number) => {
    if (!hooks.checkpoint) return;
    // Data-parallel training keeps Adam's state in shared memory; the checkpoint reads the optimizer.
    await parallel?.syncOptimizer();
    await hooks.checkpoint(await captureTrainingState(state, step, batchesDrawn));
  };

  const trainStep = async (step: number): Promise<StepMetrics> => {
    setLearningRate(optimizer, scheduledLearningRate(config, step));
    const batch = sampler.next();
    batchesDrawn += 1;
    if (parallel) return parallel.step(batch);
    const images = tf.tensor4d(batch.images, [batch.size, IMAGE_SIZE, IMAGE_SIZE, 1]);
    const labels = tf.tensor1d(batch.labels, 'int32');
    let parts: { nll: tf.Scalar; kl: tf.Scalar; correct: tf.Scalar } | undefined;
    let memberParts: tf.Scalar[] = [];
    let mixtureNll: tf.Scalar | undefined;
    try {
      const loss = optimizer.minimize(
        () => {
          const oneHot = tf.oneHot(labels, CLASS_COUNT);
          if (pointModel) {
            // Members share nothing: the sum of their losses gives each its own gradient.
            const memberLogits = pointModel.networks.map((member) =>
              member.apply(images, { mode: 'sample', seeds: trainSeeds }),
            );
            const memberNll = memberLogits.map((logits) => softmaxCrossEntropy(logits, oneHot));
            const nllSum = tf.addN(memberNll);
            const penalty = tf.addN(pointModel.networks.map((member) => member.l2Penalty()));
            const mixture = tf.mean(tf.stack(memberLogits.map((logits) => tf.softmax(logits))), 0);
            const correct = tf.sum(tf.cast(tf.equal(tf.argMax(mixture, 1), labels), 'float32')) as tf.Scalar;
            const nll = tf.div(nllSum, memberLogits.length) as tf.Scalar;
            parts = { nll: tf.keep(nll), kl: tf.keep(penalty as tf.Scalar), correct: tf.keep(correct) };
            if (pointModel.ensemble) {
              // The members' own curves and the mixture's, for the one event stream (no gradient flows through these).
              memberParts = memberNll.map((value) => tf.keep(value));
              mixtureNll = tf.keep(
                tf.neg(tf.mean(tf.log(tf.add(tf.sum(tf.mul(mixture, oneHot), 1), 1e-12)))) as tf.Scalar,
              );
            }
            return tf.add(nllSum, tf.mul(penalty, klWeight)) as tf.Scalar;
          }
          const { output: logits, kl } = variational!.apply(images, { mode: 'sample', seeds: trainSeeds });
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
      const metrics: StepMetrics = { loss: lossValue, nll, kl, klWeight, accuracy: correct / batch.size };
      if (mixtureNll) {
        const tensors: Record<string, tf.Tensor> = { mixture: mixtureNll };
        memberParts.forEach((value, m) => (tensors[`member${m}`] = value));
        const ensemble = await takeScalars(tensors);
        mixtureNll = undefined;
        memberParts = [];
        metrics.memberNll = Array.from({ length: pointModel!.networks.length }, (_, m) => ensemble[`member${m}`]);
        metrics.ensembleNll = ensemble.mixture;
      }
      return metrics;
    } finally {
      images.dispose();
      labels.dispose();
      if (parts) Object.values(parts).forEach((t) => t.dispose());
      mixtureNll?.dispose();
      memberParts.forEach((value) => value.dispose());
    }
  };

  const evaluate = async (step: number) => {
    const set = step === config.steps ? finalSet : periodicSet;
    latest = await evaluateClassifier(
      pointModel ?? variational!,
      set,
      config,
      evaluationSeed,
      hasEpistemicPart(config.method),
      parallel?.probabilities,
    );
    hooks.emit({ type: 'heldout', step, ...latest });
    // Point weights have no posterior: the posterior and prior panels are left out (no event, no figure).
    if (variational) hooks.emit({ type: 'posterior', step, ...(await posteriorStatistics(variational)) });
  };

  try {
    if (pointModel && config.workers > 1) {
      throw new Error(
        `Data-parallel training (workers > 1) is built for mean-field VI runs; set workers to 1 for the "${config.method}" method.`,
      );
    }
    if (variational) {
      const training = { network: variational, optimizer, seeds: trainSeeds, klWeight };
      parallel = await startLenet5DataParallel(config, environment, tf.getBackend(), training);
    }
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
      trainImages: trainImages.count,
      klWeight,
      stepsPerSecond: result.stepsPerSecond,
      workers: parallel?.workers ?? 1,
      finalLoss: result.lastMetrics?.loss ?? null,
      heldoutNats: latest?.heldoutNats ?? null,
      heldoutAccuracy: latest?.accuracy ?? null,
      heldoutImages: latest?.images ?? null,
      ece: latest?.ece ?? null,
      brier: latest?.brier ?? null,
      aurc: latest?.aurc ?? null,
      noiseRefusal: latest?.noiseRefusal ?? null,
      digitRefusal: latest?.digitRefusal ?? null,
      meanMaxProbabilityNoise: latest?.meanMaxProbabilityNoise ?? null,
      threshold: config.threshold,
      // The passes the predictive made: 1 for a deterministic net, M for an ensemble.
      evalDraws: latest?.draws ?? config.evalDraws,
      evalSeconds: latest?.evalSeconds ?? null,
      method: config.method,
      ...(pointModel?.ensemble ? { members: pointModel.networks.length } : {}),
      validationFraction,
      ...(pointModel ? { parameterCount: pointModel.parameterCount } : {}),
    };
  } finally {
    await parallel?.close();
    optimizer.dispose();
    pointModel?.dispose();
    variational?.dispose();
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

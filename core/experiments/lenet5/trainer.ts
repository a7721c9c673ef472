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
import { BatchSampler, memberBatchSamplers } from '../../data/batches';
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
  // Deep-ensemble members also differ in the order they see the data (Lakshminarayanan et al. 2017).
  const samplers = memberBatchSamplers(sampler, pointModel?.ensemble ? pointModel.networks.length : 1, seeds.fork(5));
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
    if (parallel) {
      batchesDrawn += 1;
      return parallel.step(sampler.next());
    }
    const batches = samplers.map((memberSampler) => memberSampler.next());
    batchesDrawn += 1;
    const images = batches.map((batch) => tf.tensor4d(batch.images, [batch.size, IMAGE_SIZE, IMAGE_SIZE, 1]));
    const labels = batches.map((batch) => tf.tensor1d(batch.labels, 'int32'));
    // Scalars read back after the step: loss, nll, kl, correct, then an ensemble's member NLLs and mixture NLL.
    const kept: Record<string, tf.Tensor> = {};
    const keep = (name: string, tensor: tf.Tensor) => (kept[name] = tf.keep(tensor));
    const correctOf = (logits: tf.Tensor, batchLabels: tf.Tensor) =>
      tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), batchLabels), 'float32'));
    let firstMemberLogits: tf.Tensor | undefined;
    try {
      const loss = optimizer.minimize(
        () => {
          if (pointModel) {
            // Members share nothing: the sum of their losses gives each its own gradient, each on its own batch.
            const memberLogits = pointModel.networks.map((member, m) =>
              member.apply(images[m], { mode: 'sample', seeds: trainSeeds }),
            );
            const memberNll = memberLogits.map((logits, m) =>
              softmaxCrossEntropy(logits, tf.oneHot(labels[m], CLASS_COUNT)),
            );
            const nllSum = tf.addN(memberNll);
            const penalty = tf.addN(pointModel.networks.map((member) => member.l2Penalty()));
            keep('nll', tf.div(nllSum, memberNll.length));
            keep('kl', penalty);
            // Each member's accuracy on the batch it trained on, summed (an ensemble's is the members' mean).
            keep('correct', tf.addN(memberLogits.map((logits, m) => correctOf(logits, labels[m]))));
            if (pointModel.ensemble) {
              memberNll.forEach((value, m) => keep(`member${m}`, value));
              if (mixtureCurveStep(step)) firstMemberLogits = tf.keep(memberLogits[0]);
            }
            return tf.add(nllSum, tf.mul(penalty, klWeight)) as tf.Scalar;
          }
          const oneHot = tf.oneHot(labels[0], CLASS_COUNT);
          const { output: logits, kl } = variational!.apply(images[0], { mode: 'sample', seeds: trainSeeds });
          const nll = keep('nll', tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))));
          keep('kl', kl);
          keep('correct', correctOf(logits, labels[0]));
          return tf.add(nll, tf.mul(kl, klWeight)) as tf.Scalar;
        },
        true,
        variables,
      )!;
      if (firstMemberLogits && pointModel) {
        // The mixture's NLL on member 0's batch: the other members' forward passes on it, without a gradient.
        const others = pointModel.networks.slice(1);
        keep(
          'mixture',
          tf.tidy(() => {
            const probabilities = [
              firstMemberLogits!,
              ...others.map((member) => member.apply(images[0], { mode: 'mean', seeds: trainSeeds })),
            ].map((logits) => tf.softmax(logits));
            const mixture = tf.mean(tf.stack(probabilities), 0);
            const picked = tf.sum(tf.mul(mixture, tf.oneHot(labels[0], CLASS_COUNT)), 1);
            return tf.neg(tf.mean(tf.log(tf.add(picked, 1e-12))));
          }),
        );
      }
      const values: Record<string, number> = await takeScalars({ loss, ...kept });
      const metrics: StepMetrics = {
        loss: values.loss,
        nll: values.nll,
        kl: values.kl,
        klWeight,
        accuracy: values.correct / (batches[0].size * (pointModel?.networks.length ?? 1)),
      };
      if (pointModel?.ensemble) {
        metrics.memberNll = pointModel.networks.map((_, m) => values[`member${m}`]);
        if ('mixture' in values) metrics.ensembleNll = values.mixture;
      }
      return metrics;
    } finally {
      images.forEach((tensor) => tensor.dispose());
      labels.forEach((tensor) => tensor.dispose());
      firstMemberLogits?.dispose();
      tf.dispose(Object.values(kept));
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
      // The same batches, in the same order, as an uninterrupted run (every member stream draws one per step).
      for (const memberSampler of samplers) memberSampler.skip(resume.batchesDrawn);
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

/** A deep ensemble's mixture NLL on the training batch costs M − 1 extra forward passes: the curve takes every 10th step (and the first). */
export const ENSEMBLE_CURVE_EVERY = 10;

function mixtureCurveStep(step: number): boolean {
  return step === 1 || step % ENSEMBLE_CURVE_EVERY === 0;
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

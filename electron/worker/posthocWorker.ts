/**
 * A worker thread that applies one post-hoc method (temperature scaling, last-layer Laplace) to a
 * stored classification run and posts the result: the CLI's `evaluate` command starts it, so the
 * host process never loads tfjs. It rebuilds the run's network from its checkpoint (the method the
 * run trained with decides which network), reloads its dataset, and fits on the validation split
 * the run held out of training.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { rawMethodOptions } from '../../core/contract/methodConfig';
import type { Lenet5Config } from '../../core/contract/runConfig';
import { heldOutValidationFraction } from '../../core/experiments/lenet5/config';
import { registerFastGradients } from '../../core/engine/fastGradients';
import { hasEpistemicPart, methods } from '../../core/methods/index';
import type { LaplaceOptions } from '../../core/methods/descriptors/laplace';
import { PointModel } from '../../core/methods/pointModel';
import {
  evaluateLastLayerLaplace,
  evaluateTemperatureScaling,
  PosthocError,
  validationImages,
  type PosthocOodSet,
} from '../../core/methods/posthoc';
import { carveValidationSplit } from '../../core/methods/temperatureScaling';
import { lenet5FromCheckpoint, withCheckpointValues } from '../../core/ood/checkpointNetwork';
import type { RunConfig } from '../../core/contract/runConfig';
import type { MethodId } from '../../core/methods/index';
import { experimentTrainers } from '../../core/experiments/trainers';
import { evaluateRegressionLaplace } from '../../core/methods/regressionLaplace';
import { SeedStream } from '../../core/random/seedStream';
import { pointRegressionModel } from '../../core/training/pointRegressionTrainer';
import type { RegressionTrainingConfig } from '../../core/training/regressionTrainer';
import { gatherImages } from '../../core/data/dataset';
import { deserializeCheckpoint } from '../../core/training/checkpoint';
import { readCheckpointFiles } from '../host/checkpointFiles';
import { selectBackend } from './backend';
import { workerEnvironment } from './datasetFiles';

export type PosthocRequest =
  | {
      runDir: string;
      taskKind: 'classification';
      config: Lenet5Config;
      method: 'temperatureScaling' | 'laplace';
      /** The method's options, validated by the CLI (validateMethodCombination). */
      options: Record<string, unknown>;
      /** The OOD reference sets to separate from the held-out set before and after (evaluate-ood's). */
      oodSets?: PosthocOodSet[];
    }
  | {
      runDir: string;
      /** A deterministic regression run (last-layer Laplace is the post-hoc method that applies). */
      taskKind: 'regression';
      config: RunConfig & RegressionTrainingConfig & { method: MethodId };
      method: 'laplace';
      options: Record<string, unknown>;
    };

/** Last-layer Laplace on a regression run: its problem from the experiment's trainer, its MLP from the checkpoint. */
async function evaluateRegression(request: Extract<PosthocRequest, { taskKind: 'regression' }>) {
  const { config } = request;
  const backend = await selectBackend(config.backend);
  const trainer = experimentTrainers[config.experiment];
  if (!trainer?.regressionProblem)
    throw new PosthocError(
      `The ${config.experiment} experiment does not describe its regression problem for post-hoc methods.`,
    );
  const stored = await readCheckpointFiles(request.runDir);
  if (!stored)
    throw new PosthocError(`The run in ${request.runDir} has no checkpoint; it cannot be evaluated after training.`);
  const checkpoint = deserializeCheckpoint(stored.manifest, stored.values);
  const model = withCheckpointValues(
    pointRegressionModel(config, rawMethodOptions(config), new SeedStream(config.seed).fork(1)),
    checkpoint.variables,
  );
  try {
    const options = request.options as LaplaceOptions;
    const evaluation = evaluateRegressionLaplace({
      model,
      problem: trainer.regressionProblem(config),
      noiseStd: config.noiseStd,
      gridPoints: config.gridPoints,
      hessian: options.hessian,
      priorPrecision: options.priorPrecision,
    });
    // The band itself (1,000 grid points) stays out of the JSON line: its scores say how it looks.
    return {
      method: methods.laplace.cliName,
      backend: backend.name,
      checkpointStep: checkpoint.step,
      baseMethod: config.method,
      weightDecay: rawMethodOptions(config).weightDecay,
      before: evaluation.before,
      after: evaluation.after,
      priorPrecision: evaluation.priorPrecision,
      priorPrecisionRule: evaluation.priorPrecisionRule,
      logEvidence: evaluation.logEvidence,
      hessian: evaluation.hessian,
      trainingPoints: evaluation.trainingPoints,
    };
  } finally {
    model.dispose();
  }
}

/** Seed of the evaluation passes (dropout masks, VI draws), so the same run gives the same numbers. */
const POSTHOC_SEED = 11;

async function evaluate(request: PosthocRequest): Promise<Record<string, unknown>> {
  if (request.taskKind === 'regression') return evaluateRegression(request);
  const { config } = request;
  const backend = await selectBackend(config.backend);
  registerFastGradients();
  const stored = await readCheckpointFiles(request.runDir);
  if (!stored)
    throw new PosthocError(`The run in ${request.runDir} has no checkpoint; it cannot be evaluated after training.`);
  const checkpoint = deserializeCheckpoint(stored.manifest, stored.values);
  const dataset = await workerEnvironment.loadDataset(config.dataset);
  const fraction = heldOutValidationFraction(config);
  const validation = validationImages(dataset, fraction, config.seed);
  const network = lenet5FromCheckpoint(config, checkpoint.variables);
  const common = {
    backend: backend.name,
    checkpointStep: checkpoint.step,
    baseMethod: config.method,
    validationFraction: fraction,
  };
  try {
    if (request.method === 'temperatureScaling') {
      const result = await evaluateTemperatureScaling({
        network,
        validation,
        heldout: dataset.heldout,
        draws: config.evalDraws,
        seed: POSTHOC_SEED,
        hasEpistemicPart: hasEpistemicPart('temperatureScaling', config.method),
        oodSets: request.oodSets,
      });
      return { method: methods.temperatureScaling.cliName, ...common, ...result };
    }
    if (!(network instanceof PointModel)) {
      throw new PosthocError('Last-layer Laplace needs a deterministic run; this run trained variational layers.');
    }
    const training = gatherImages(
      dataset.train,
      carveValidationSplit(dataset.train.count, fraction, config.seed).training,
    );
    const result = await evaluateLastLayerLaplace({
      model: network,
      training,
      validation,
      heldout: dataset.heldout,
      options: request.options as LaplaceOptions,
      seed: POSTHOC_SEED,
      oodSets: request.oodSets,
    });
    return { method: methods.laplace.cliName, ...common, weightDecay: rawMethodOptions(config).weightDecay, ...result };
  } finally {
    network.dispose();
  }
}

if (!parentPort) throw new PosthocError('electron/worker/posthocWorker.ts must be started as a worker thread.');
const port = parentPort;
evaluate(workerData as PosthocRequest).then(
  (result) => port.postMessage({ ok: true, result }),
  (error: unknown) => port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
);

/**
 * LeNet5's data-parallel training (issue 16): with `workers` = N > 1 on the wasm or cpu backend,
 * N − 1 helper threads from the environment compute slices of every batch next to the trainer's
 * thread (core/training/dataParallelStep.ts). The tensorflow backend already uses every core and a
 * GPU backend is one device, so there N is 1.
 */
import type { ImageBatch } from '../../data/batches';
import type { MonteCarloArgs, MonteCarloProbabilities } from '../../evaluation/monteCarlo';
import { parallelMonteCarloProbabilities } from '../../evaluation/parallelMonteCarlo';
import { IMAGE_SIZE } from '../../data/dataset';
import type { VariationalSequential } from '../../models/variationalSequential';
import type { SeedStream } from '../../random/seedStream';
import { dataParallelStep, newDataParallelState, syncOptimizer } from '../../training/dataParallelStep';
import type { GradientPool } from '../../training/gradientPool';
import type { StepMetrics } from '../../training/trainingLoop';
import type { ExperimentEnvironment } from '../trainer';
import type { Lenet5Config } from './config';
import type * as tf from '@tensorflow/tfjs-core';

/** Backends on which one thread runs one core, so more threads are more cores. */
const PARALLEL_BACKENDS = new Set(['wasm', 'cpu']);

/** The worker count a run actually uses on `backend`. */
export function effectiveWorkers(requested: number, backend: string): number {
  return PARALLEL_BACKENDS.has(backend) ? requested : 1;
}

export interface Lenet5DataParallel {
  workers: number;
  step(batch: ImageBatch): Promise<StepMetrics>;
  /** Gives the tfjs optimizer Adam's state, which lives in shared memory between checkpoints. */
  syncOptimizer(): Promise<void>;
  /** Monte Carlo probabilities with the draws shared by every thread. */
  probabilities(args: MonteCarloArgs): Promise<MonteCarloProbabilities>;
  close(): Promise<void>;
}

export async function startLenet5DataParallel(
  config: Lenet5Config,
  environment: ExperimentEnvironment,
  backend: string,
  training: { network: VariationalSequential; optimizer: tf.AdamOptimizer; seeds: SeedStream; klWeight: number },
): Promise<Lenet5DataParallel | null> {
  const workers = effectiveWorkers(config.workers, backend);
  if (workers === 1) return null;
  if (!environment.startGradientPool) {
    throw new Error(
      `This run asks for ${workers} workers, but the process running it cannot start worker threads; set workers to 1.`,
    );
  }
  const variables = training.network.trainableVariables;
  const pool: GradientPool = await environment.startGradientPool({
    network: config,
    helpers: workers - 1,
    backend,
    variableSizes: variables.map((variable) => variable.size),
    maxBatch: config.batchSize,
  });
  const state = newDataParallelState();
  return {
    workers,
    step: (batch) =>
      dataParallelStep({
        pool,
        state,
        network: training.network,
        variables,
        optimizer: training.optimizer,
        batch,
        imageShape: [IMAGE_SIZE, IMAGE_SIZE, 1],
        seeds: training.seeds,
        klWeight: training.klWeight,
      }),
    probabilities: (args) => parallelMonteCarloProbabilities(pool, args),
    syncOptimizer: () => syncOptimizer(pool, state, variables, training.optimizer),
    close: () => pool.close(),
  };
}

/**
 * The experiments' training code, one line per plug-in; imported only by the worker (and by
 * tests, benchmarks and the CLI's in-worker path), because it loads tfjs. The pure side of each
 * experiment is its descriptor, registered in ./descriptors.ts under the same name.
 */
import { cubicTrainer } from './cubic/trainer';
import { lenet5Trainer } from './lenet5/trainer';
import { sinusoidTrainer } from './sinusoid/trainer';
import type { ExperimentTrainer } from './trainer';

const trainers: readonly ExperimentTrainer[] = [sinusoidTrainer, lenet5Trainer, cubicTrainer];

export const experimentTrainers: Readonly<Record<string, ExperimentTrainer>> = Object.fromEntries(
  trainers.map((trainer) => [trainer.name, trainer]),
);

/**
 * Questions about the registered experiments, answered from their descriptors (pure, no tfjs):
 * the host, the renderer, the CLI and figures ask what a run *has*, never which experiment it is.
 */
import type { Lenet5Config } from './lenet5/config';
import type { ExperimentInfo } from '../contract/workbenchApi';
import type { ClassificationTask, ExperimentDescriptor, FigureId } from './descriptor';
import type { TaskKind } from '../methods/method';
import { experimentDescriptors } from './descriptors';

export class UnknownExperimentError extends Error {
  override name = 'UnknownExperimentError';
}

/** Every registered descriptor, typed for questions that do not care which one it is. */
export const registeredDescriptors: readonly ExperimentDescriptor[] = experimentDescriptors;

export const experimentNames: readonly string[] = registeredDescriptors.map((descriptor) => descriptor.name);

/** The descriptor of an experiment (by name or by a run's config); a clear error for one this build lacks. */
export function descriptorOf(experiment: string | { experiment: string }): ExperimentDescriptor {
  const name = typeof experiment === 'string' ? experiment : experiment.experiment;
  const found = registeredDescriptors.find((descriptor) => descriptor.name === name);
  if (!found)
    throw new UnknownExperimentError(
      `This build of the workbench has no experiment "${name}"; it has ${experimentNames.join(', ')}.`,
    );
  return found;
}

/** Optimizer steps a run of this configuration takes. */
export function totalStepsOf(config: { experiment: string }): number {
  return descriptorOf(config).totalSteps(config);
}

export function classificationTaskOf(config: { experiment: string }): ClassificationTask | null {
  const { task } = descriptorOf(config);
  return task.kind === 'classification' ? task : null;
}

/**
 * What a post-hoc method needs to know of a stored run to say whether it applies
 * (validateMethodCombination's task kind, base method and held-out validation share).
 */
export function posthocBaseOf(config: { experiment: string; method: string }): {
  taskKind: TaskKind;
  baseMethod: string;
  baseValidationFraction?: number;
} {
  const { task } = descriptorOf(config);
  return task.kind === 'classification'
    ? { taskKind: task.kind, baseMethod: config.method, baseValidationFraction: task.heldOutValidation(config) }
    : { taskKind: task.kind, baseMethod: config.method };
}

/**
 * The configurations whose networks the worker rebuilds from a checkpoint to classify dropped
 * images (core/ood/checkpointNetwork.ts). LeNet5 is this build's only image classifier; a second
 * one widens this type and registers its network builder there.
 */
export type ImageClassifierConfig = Lenet5Config;

/** Whether a run classifies dropped images (an image classifier whose network the OOD code can rebuild). */
export function classifiesImages(config: { experiment: string }): config is ImageClassifierConfig {
  return classificationTaskOf(config)?.classifiesDroppedImages === true;
}

/** Whether the run's figures include `figure` (what the dashboard shows and the report draws). */
export function hasFigure(config: { experiment: string }, figure: FigureId): boolean {
  return descriptorOf(config).figureRows.some((row) => row.includes(figure));
}

/** What listExperiments answers: each experiment's name, title, presets and known training-set sizes. */
export function listExperimentInfos(): ExperimentInfo[] {
  return registeredDescriptors.map((descriptor) => {
    const trainImages = descriptor.task.kind === 'classification' ? descriptor.task.trainImages : undefined;
    return {
      name: descriptor.name,
      title: descriptor.title,
      presets: descriptor.presets.map((preset) => ({ ...preset })),
      ...(trainImages ? { trainImages: { ...trainImages } } : {}),
    };
  });
}

/** The host paths a run configuration names (none for most): see ExperimentDescriptor.hostPaths. */
export function hostPathsOf(config: { experiment: string }): string[] {
  return descriptorOf(config).hostPaths?.(config) ?? [];
}

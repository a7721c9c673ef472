/** The experiments this build knows, by name. */
import type { ExperimentName } from '../contract/runConfig';
import type { ExperimentInfo } from '../contract/workbenchApi';
import type { Experiment } from './experiment';
import { lenet5Experiment } from './lenet5/experiment';
import { sinusoidExperiment } from './sinusoid/experiment';

export const experiments: Record<ExperimentName, Experiment<any>> = {
  sinusoid: sinusoidExperiment,
  lenet5: lenet5Experiment,
};

export function listExperiments(): ExperimentInfo[] {
  return Object.values(experiments).map((experiment) => ({
    name: experiment.name,
    title: experiment.title,
    presets: experiment.presets,
    ...(experiment.trainImages ? { trainImages: { ...experiment.trainImages } } : {}),
  }));
}

export type { Experiment, ExperimentHooks, Preset } from './experiment';

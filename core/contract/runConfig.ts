/**
 * Run configurations: what a user chooses for a run, validated wherever it crosses a process
 * boundary (IPC, WebSocket, worker port, run.json on disk). The schema is the union of the
 * registered experiments' schemas (core/experiments/descriptors.ts), discriminated by `experiment`.
 */
import { z } from 'zod';
import { experimentDescriptors } from '../experiments/descriptors';

type SchemasOf<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: T[K] extends { configSchema: infer S } ? S : never;
};
type DescriptorSchemas = SchemasOf<typeof experimentDescriptors>;

export const runConfigSchema = z.discriminatedUnion(
  'experiment',
  experimentDescriptors.map((descriptor) => descriptor.configSchema) as unknown as DescriptorSchemas,
);
export type RunConfig = z.infer<typeof runConfigSchema>;
export type RunConfigInput = z.input<typeof runConfigSchema>;
export type ExperimentName = RunConfig['experiment'];

// The parts every experiment's schema is built from, re-exported so the contract stays one import.
export { backendChoiceSchema, datasetSpecSchema, type BackendChoice, type DatasetSpec } from './configParts';
export { estimatorSchema, type Estimator } from '../estimators/index';
export { posteriorInitSchema, type PosteriorInit } from '../posteriors/meanFieldNormalSpec';
export { klFormSchema, priorConfigSchema, type KlForm, type PriorConfig } from '../priors/kinds/index';
export { lenet5ConfigSchema, type Lenet5Config } from '../experiments/lenet5/config';
export { sinusoidConfigSchema, type SinusoidConfig, type SinusoidConfigInput } from '../experiments/sinusoid/config';

/** Training time between checkpoints taken without an evaluation, in ms (the host's setting; at most a day). */
export const checkpointIntervalMsSchema = z
  .number()
  .int()
  .positive()
  .max(24 * 3600 * 1000);

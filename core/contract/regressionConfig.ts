/**
 * The settings every 1-D regression experiment shares (core/training/regressionTrainer.ts reads
 * them): its schema is `z.object({ experiment: z.literal(name), ...regressionConfigFields })`
 * refined by requireKlFormThePriorHas.
 */
import { z } from 'zod';
import { estimatorSchemaOf } from '../estimators/index';
import { posteriorInitSchema } from '../posteriors/meanFieldNormalSpec';
import { klFormSchema, priorConfigSchema } from '../priors/kinds/index';
import { backendChoiceSchema, seedSchema } from './configParts';
import { methodConfigFields } from './methodConfig';

export const regressionConfigFields = {
  preset: z.string().max(64).default('custom'),
  seed: seedSchema.default(0),
  epochs: z.number().int().min(1).max(1_000_000),
  learningRate: z.number().positive().max(10),
  prior: priorConfigSchema,
  kl: klFormSchema,
  /** Whole-network draws take a leading sample dimension; Flipout's sign flips are per example of a 2-D batch. */
  estimator: estimatorSchemaOf(['reparameterization', 'local']).default('reparameterization'),
  /** Weight samples averaged in the expected NLL of each step (K in the README). */
  samplesPerStep: z.number().int().min(1).max(256).default(1),
  init: posteriorInitSchema,
  hiddenUnits: z.array(z.number().int().min(1).max(1024)).min(1).max(8).default([20, 20]),
  /** Known noise σ of the Gaussian likelihood. */
  noiseStd: z.number().positive().default(1),
  /** Null: 1 / (batches per epoch), which is 1 for a full-batch regression. */
  klWeight: z.number().nonnegative().nullable().default(null),
  predictiveDraws: z.number().int().min(2).max(5000).default(500),
  gridPoints: z.number().int().min(10).max(10_000).default(1000),
  /** Epochs between `regression` events (predictive band snapshots). */
  evalEvery: z.number().int().min(1).default(100),
  backend: backendChoiceSchema.default('auto'),
  ...methodConfigFields,
  method: methodConfigFields.method.default('vi'),
};

/** LeNet5's run configuration, validated wherever it crosses a process boundary. */
import { z } from 'zod';
import { backendChoiceSchema, datasetSpecSchema, seedSchema } from '../../contract/configParts';
import { methodConfigFields, requireValidMethod, trainsPointWeights } from '../../contract/methodConfig';
import { estimatorSchema } from '../../estimators/index';
import { posteriorInitSchema } from '../../posteriors/meanFieldNormalSpec';
import { klFormSchema, priorConfigSchema, requireKlFormThePriorHas } from '../../priors/kinds/index';
import { LENET5_CONV_PADDINGS } from './layout';

export const lenet5ConfigSchema = z
  .object({
    experiment: z.literal('lenet5'),
    preset: z.string().max(64).default('custom'),
    seed: seedSchema.default(0),
    dataset: datasetSpecSchema.default('mnist'),
    steps: z.number().int().min(1).max(1_000_000).default(6000),
    batchSize: z.number().int().min(1).max(4096).default(128),
    learningRate: z.number().positive().max(10).default(0.001),
    /** 'cosine': lr · ½(1 + cos(π t / T)) over the T steps (Loshchilov & Hutter 2017); 'constant': lr throughout. */
    learningRateSchedule: z.enum(['constant', 'cosine']).default('constant'),
    estimator: estimatorSchema.default('flipout'),
    /** 'classic': LeNet-5's padding (61,706 weights); 'same': every convolution SAME-padded, as uncertainty-baselines builds it (layout.ts). */
    convPadding: z.enum(LENET5_CONV_PADDINGS).default('classic'),
    prior: priorConfigSchema.default({ kind: 'normal', scale: 1 }),
    kl: klFormSchema.default('analytic'),
    /**
     * Weight of ΣKL in the per-example loss `mean NLL + klWeight · ΣKL`. Null: 1 / N_train, the
     * ELBO divided by the training-set size (the textbook choice).
     */
    klWeight: z.number().nonnegative().nullable().default(null),
    /**
     * With klWeight null, the KL weight is klScale / N_train: 1 is the textbook ELBO per example;
     * below 1 tempers the KL (the posterior is fitted as if the data counted 1/klScale times).
     */
    klScale: z.number().positive().max(100).default(1),
    init: posteriorInitSchema.default({ muStd: 0.1, rho: -3.5 }),
    /** Steps between evaluations (held-out nats, calibration, posterior histograms, checkpoint). */
    evalEvery: z.number().int().min(1).default(400),
    /** Posterior draws T of every evaluation. */
    evalDraws: z.number().int().min(1).max(1000).default(50),
    /** Held-out images used by periodic evaluations (the final one uses all); null: all. */
    evalImages: z.number().int().min(10).nullable().default(null),
    /** Refuse to classify when no class's mean probability reaches this. */
    threshold: z.number().min(0).max(1).default(0.2),
    backend: backendChoiceSchema.default('auto'),
    /**
     * Threads that train together, each on a slice of every batch (data-parallel, wasm and cpu
     * backends only; 1 on the others). The same (seed, workers) gives the same run.
     */
    workers: z.number().int().min(1).max(64).default(1),
    ...methodConfigFields,
    method: methodConfigFields.method.default('vi'),
    /**
     * Fraction of the training images held out of training, for post-hoc methods (temperature
     * scaling, Laplace) to fit on honestly. Null: 0.1 for the point-weight methods, 0 for VI (so
     * VI runs keep training on every image, as before methods existed).
     */
    validationFraction: z.number().min(0).max(0.5).nullable().default(null),
  })
  .superRefine(requireKlFormThePriorHas)
  .superRefine(requireValidMethod('classification'));
export type Lenet5Config = z.infer<typeof lenet5ConfigSchema>;

/**
 * The fraction of the training set a run keeps out of training for post-hoc fits: the config's,
 * else 0.1 for the point-weight methods (whose post-hoc methods need one) and 0 for VI.
 */
export function heldOutValidationFraction(config: Pick<Lenet5Config, 'method' | 'validationFraction'>): number {
  return config.validationFraction ?? (trainsPointWeights(config.method) ? 0.1 : 0);
}

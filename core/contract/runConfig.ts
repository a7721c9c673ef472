/**
 * Run configurations: what a user chooses for a run, validated wherever it crosses a process
 * boundary (IPC, WebSocket, worker port, run.json on disk).
 */
import { z } from 'zod';

export const backendChoiceSchema = z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
export type BackendChoice = z.infer<typeof backendChoiceSchema>;

/**
 * Prior over every weight of a variational layer.
 * - `normal`: fixed N(0, scale²).
 * - `trainableNormal`: N(m, 1) with a trainable mean m per weight (TFP's `prior_trainable`).
 * - `scaleMixture`: π N(0, σ1²) + (1 − π) N(0, σ2²) (Blundell et al. 2015, eq. 7); when `learned`,
 *   π, σ1 and σ2 are shared by all layers and trained with the posterior.
 */
export const priorConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('normal'), scale: z.number().positive().max(100).default(1) }),
  z.object({ kind: z.literal('trainableNormal') }),
  z.object({
    kind: z.literal('scaleMixture'),
    pi: z.number().gt(0).lt(1).default(0.2),
    sigma1: z.number().positive().max(100).default(1.0),
    sigma2: z.number().positive().max(100).default(0.1),
    learned: z.boolean().default(true),
  }),
]);
export type PriorConfig = z.infer<typeof priorConfigSchema>;

/** analytic: KL(q‖p) in closed form (Normal priors only); monteCarlo: log q(w) − log p(w) at the drawn w. */
export const klFormSchema = z.enum(['analytic', 'monteCarlo']);
export type KlForm = z.infer<typeof klFormSchema>;

/** How a weight sample enters the forward pass (Kingma et al. 2015; Wen et al. 2018). */
export const estimatorSchema = z.enum(['reparameterization', 'local', 'flipout']);
export type Estimator = z.infer<typeof estimatorSchema>;

/** Initialisation of the mean-field posterior: μ ~ N(0, muStd²), ρ = rho (σ = 1e-5 + softplus(log(expm1(1)) + ρ)). */
export const posteriorInitSchema = z.object({
  muStd: z.number().nonnegative().max(10).default(0.1),
  rho: z.number().min(-20).max(10).default(-5),
});
export type PosteriorInit = z.infer<typeof posteriorInitSchema>;

const seed = z.number().int().min(0).max(2 ** 31 - 1);

/** The scale mixture has no closed-form KL: say so where the user chose the pair. */
function requireMonteCarloKlForMixture(config: { prior: PriorConfig; kl: KlForm }, ctx: z.RefinementCtx): void {
  if (config.prior.kind === 'scaleMixture' && config.kl === 'analytic') {
    ctx.addIssue({ code: 'custom', path: ['kl'], message: 'the scale-mixture prior has no closed-form KL; choose the Monte Carlo KL' });
  }
}

export const sinusoidConfigSchema = z.object({
  experiment: z.literal('sinusoid'),
  preset: z.string().max(64).default('custom'),
  seed: seed.default(0),
  epochs: z.number().int().min(1).max(1_000_000),
  learningRate: z.number().positive().max(10),
  prior: priorConfigSchema,
  kl: klFormSchema,
  estimator: z.enum(['reparameterization', 'local']).default('reparameterization'),
  /** Weight samples averaged in the expected NLL of each step (K in the README). */
  samplesPerStep: z.number().int().min(1).max(256).default(1),
  init: posteriorInitSchema,
  hiddenUnits: z.array(z.number().int().min(1).max(1024)).min(1).max(8).default([20, 20]),
  /** Known noise σ of the Gaussian likelihood. */
  noiseStd: z.number().positive().default(1),
  /** Null: 1 / (batches per epoch), which is 1 for the full-batch sinusoid. */
  klWeight: z.number().nonnegative().nullable().default(null),
  predictiveDraws: z.number().int().min(2).max(5000).default(500),
  gridPoints: z.number().int().min(10).max(10_000).default(1000),
  /** Epochs between `regression` events (predictive band snapshots). */
  evalEvery: z.number().int().min(1).default(100),
  backend: backendChoiceSchema.default('auto'),
}).superRefine(requireMonteCarloKlForMixture);
export type SinusoidConfig = z.infer<typeof sinusoidConfigSchema>;
export type SinusoidConfigInput = z.input<typeof sinusoidConfigSchema>;

/**
 * Where a classification run's images come from: the bundled 10,000 MNIST digits (9,000 / 1,000
 * reference split), Debian's Fashion-MNIST, or a user's IDX folder (`idx:/path/to/folder`).
 */
export const datasetSpecSchema = z.union([
  z.literal('mnist'),
  z.literal('fashion-mnist'),
  z.string().regex(/^idx:.+/, 'an IDX folder is written idx:/path/to/folder'),
]);
export type DatasetSpec = z.infer<typeof datasetSpecSchema>;

export const lenet5ConfigSchema = z.object({
  experiment: z.literal('lenet5'),
  preset: z.string().max(64).default('custom'),
  seed: seed.default(0),
  dataset: datasetSpecSchema.default('mnist'),
  steps: z.number().int().min(1).max(1_000_000).default(6000),
  batchSize: z.number().int().min(1).max(4096).default(128),
  learningRate: z.number().positive().max(10).default(0.001),
  /** 'cosine': lr · ½(1 + cos(π t / T)) over the T steps (Loshchilov & Hutter 2017); 'constant': lr throughout. */
  learningRateSchedule: z.enum(['constant', 'cosine']).default('constant'),
  estimator: estimatorSchema.default('flipout'),
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
}).superRefine(requireMonteCarloKlForMixture);
export type Lenet5Config = z.infer<typeof lenet5ConfigSchema>;

export const runConfigSchema = z.discriminatedUnion('experiment', [sinusoidConfigSchema, lenet5ConfigSchema]);
export type RunConfig = z.infer<typeof runConfigSchema>;
export type RunConfigInput = z.input<typeof runConfigSchema>;
export type ExperimentName = RunConfig['experiment'];

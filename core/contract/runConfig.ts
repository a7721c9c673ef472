/**
 * Run configurations: what a user chooses for a run, validated wherever it crosses a process
 * boundary (IPC, WebSocket, worker port, run.json on disk).
 */
import { z } from 'zod';

export const backendChoiceSchema = z.enum(['auto', 'tensorflow', 'wasm', 'cpu']);
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
});
export type SinusoidConfig = z.infer<typeof sinusoidConfigSchema>;
export type SinusoidConfigInput = z.input<typeof sinusoidConfigSchema>;

export const runConfigSchema = z.discriminatedUnion('experiment', [sinusoidConfigSchema]);
export type RunConfig = z.infer<typeof runConfigSchema>;
export type RunConfigInput = z.input<typeof runConfigSchema>;
export type ExperimentName = RunConfig['experiment'];

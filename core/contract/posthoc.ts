/**
 * `runs/<id>/posthoc-<method>.json`: a post-hoc method fitted to a stored run (temperature scaling,
 * last-layer Laplace: every method whose capabilities say `postHoc`), one file per method so two
 * fits of one run never race over one file. Written by `npm run evaluate -- <method>` through the
 * run store (atomic, in the run's queue), read back with a size cap by the methods table (compare
 * view, its exports, the comparison report).
 */
import { z } from 'zod';
import { METHOD_IDS, type MethodId } from '../methods/method';

export const POSTHOC_FIT_FORMAT = 'bayesian-workbench/posthoc@1';
/** A fit is a few kilobytes; anything far larger is not one of ours and is not parsed. */
export const POSTHOC_FIT_MAX_BYTES = 256 * 1024;

/** The file a post-hoc method's fit is stored in, in the run's folder. */
export function posthocFitFile(method: MethodId): string {
  return `posthoc-${method}.json`;
}

const scoreValue = z.number().nullable();
/** Scores before / after the fit: classification (accuracy, heldoutNats, ece, brier, aurc) or regression (stdRatio, …). */
const scoresSchema = z.record(z.string(), scoreValue);

const separationSchema = z.object({ auroc: z.number().min(0).max(1), fprAt95Tpr: z.number().min(0).max(1) });
const separationsSchema = z.object({
  predictiveEntropy: separationSchema.optional(),
  mutualInformation: separationSchema.optional(),
  maxProbability: separationSchema.optional(),
});
const notApplicableSchema = z.object({
  predictiveEntropy: z.string().optional(),
  mutualInformation: z.string().optional(),
  maxProbability: z.string().optional(),
});

export const posthocFitSchema = z.object({
  format: z.literal(POSTHOC_FIT_FORMAT),
  runId: z.string().min(1).max(200),
  /** The post-hoc method (a registry id whose capabilities say postHoc). */
  method: z.enum(METHOD_IDS),
  /** The stored run's own method. */
  baseMethod: z.enum(METHOD_IDS),
  taskKind: z.enum(['classification', 'regression']),
  checkpointStep: z.number().int().nonnegative().optional(),
  createdAt: z.string().min(1).max(64),
  /** Wall time of the fit and its scoring, seconds. */
  seconds: z.number().nonnegative().optional(),
  backend: z.string().max(100).optional(),
  before: scoresSchema,
  after: scoresSchema,
  /** Temperature scaling: the fitted T. */
  temperature: z.number().positive().optional(),
  /** Laplace: the prior precision δ, how it was chosen, the Hessian and the predictive. */
  priorPrecision: z.number().positive().optional(),
  priorPrecisionRule: z.string().max(100).optional(),
  hessian: z.string().max(100).optional(),
  predictive: z.string().max(100).optional(),
  validationFraction: z.number().min(0).max(1).optional(),
  validationImages: z.number().int().nonnegative().optional(),
  heldoutImages: z.number().int().nonnegative().optional(),
  /** Prediction time of the fitted predictive per held-out image, ms (when it was measured). */
  predictMsPerImage: z.number().nonnegative().optional(),
  /** Each OOD reference set separated from the held-out set, before and after the fit. */
  ood: z
    .object({
      sets: z
        .array(z.object({ name: z.string().max(200), before: separationsSchema, after: separationsSchema }))
        .max(50),
      notApplicable: z.object({ before: notApplicableSchema.optional(), after: notApplicableSchema.optional() }),
    })
    .optional(),
});
export type PosthocFit = z.infer<typeof posthocFitSchema>;

/** The post-hoc fits of a run, and why a stored file was left out (corrupt, too large, not a fit). */
export const posthocFitsSchema = z.object({
  fits: z.array(posthocFitSchema),
  problems: z.array(z.string()),
});
export type PosthocFits = z.infer<typeof posthocFitsSchema>;

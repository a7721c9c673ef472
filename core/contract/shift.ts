/**
 * `runs/<id>/shift.json`: a run's dataset-shift evaluation (Ovadia et al. 2019), computed once per
 * checkpoint and read by the Shift panel, compare, reports and `npm run evaluate -- shift`.
 */
import { z } from 'zod';
import { storedEvaluationFields } from './ood';

const probability = z.number().min(0).max(1);

export const SHIFT_EVALUATION_FORMAT = 'bayesian-workbench/shift@1';
/** Posterior draws per prediction, the paper's and the OOD evaluation's. */
export const SHIFT_DEFAULT_DRAWS = 50;
export const SHIFT_MAX_DRAWS = 200;
/** Held-out images per shift level and images per OOD set (the paper's MNIST protocol uses the test set; 1,000 here). */
export const SHIFT_IMAGES_PER_SET = 1000;

export const shiftKindSchema = z.enum(['rotation', 'roll', 'translation']);

/** The scores of one shift level (level 0 is the unshifted held-out set). */
export const shiftLevelScoresSchema = z.object({
  level: z.number(),
  count: z.number().int().positive(),
  accuracy: probability,
  /** Mean negative log predictive probability of the true label, nats (lower is better). */
  nll: z.number().nonnegative(),
  brier: z.number().nonnegative(),
  /** Expected calibration error over 15 equal-width confidence bins. */
  ece: probability,
  meanEntropy: z.number().nonnegative(),
  /** Null when the method has no epistemic part (mutual information would be 0 by construction). */
  meanMutualInformation: z.number().nonnegative().nullable(),
});
export type ShiftLevelScores = z.infer<typeof shiftLevelScoresSchema>;

const aurocSchema = z.object({
  predictiveEntropy: probability,
  maxProbability: probability,
  mutualInformation: probability.nullable(),
});

export const shiftOodSetSchema = z.object({
  name: z.string(),
  description: z.string(),
  count: z.number().int().positive(),
  /** AUROC of telling this set from the unshifted held-out images, per score. */
  auroc: aurocSchema,
});

/** Figure 3 of the paper: confidence = max_c p̄_c of the Monte Carlo mean. */
export const confidenceSetSchema = z.object({
  name: z.string(),
  role: z.enum(['heldout', 'ood']),
  count: z.number().int().positive(),
  /** Counts of confidences in equal-width bins over [0, 1] (edges in `confidence.histogramEdges`). */
  histogram: z.array(z.number().int().nonnegative()),
  /** Number of predictions with confidence ≥ τ, one per threshold. */
  countAtThreshold: z.array(z.number().int().nonnegative()),
  /** Accuracy of those predictions (held-out only; null where none reaches τ or the set has no labels). */
  accuracyAtThreshold: z.array(probability.nullable()),
});
export type ConfidenceSet = z.infer<typeof confidenceSetSchema>;

export const shiftEvaluationSchema = z.object({
  format: z.literal(SHIFT_EVALUATION_FORMAT),
  ...storedEvaluationFields,
  dataset: z.string(),
  imagesPerSet: z.number().int().positive(),
  /** Per kind, in increasing shift, starting at level 0 (the unshifted held-out images). */
  levels: z.object({
    rotation: z.array(shiftLevelScoresSchema),
    roll: z.array(shiftLevelScoresSchema),
    translation: z.array(shiftLevelScoresSchema),
  }),
  ood: z.array(shiftOodSetSchema),
  confidence: z.object({
    thresholds: z.array(probability),
    histogramEdges: z.array(probability),
    sets: z.array(confidenceSetSchema),
  }),
});
export type ShiftEvaluation = z.infer<typeof shiftEvaluationSchema>;
export type ShiftKindName = z.infer<typeof shiftKindSchema>;

/** An evaluation in progress: sets scored so far of all, and what is being scored now. */
export const shiftProgressSchema = z.object({
  runId: z.string(),
  done: z.number().int().nonnegative(),
  total: z.number().int().positive(),
  current: z.string(),
});
export type ShiftProgress = z.infer<typeof shiftProgressSchema>;

/**
 * A run's final figures of merit (run.json's `summary`; the CLI's --json prints them besides its
 * own fields, under these names, which scripts rely on). One schema per task kind; a summary may
 * carry more (a learned prior's `prior.pi`), so unknown keys of the plain value types pass.
 */
import { z } from 'zod';

const summaryValue = z.union([z.number(), z.string(), z.boolean(), z.null()]);
const figure = z.number().nullable();

const common = {
  experiment: z.string(),
  preset: z.string(),
  seed: z.number().int(),
  stepsPerSecond: z.number(),
  finalLoss: figure,
};

export const regressionSummarySchema = z
  .object({
    ...common,
    /** Full-batch regressions count epochs (one optimizer step each). */
    epochs: z.number().int().nonnegative(),
    finalNll: figure,
    finalKl: figure,
    stdRatio: figure,
    rmseInside: figure,
    coverageInside: figure,
  })
  .catchall(summaryValue);
export type RegressionSummary = z.infer<typeof regressionSummarySchema>;

export const classificationSummarySchema = z
  .object({
    ...common,
    dataset: z.string(),
    datasetName: z.string(),
    estimator: z.string(),
    steps: z.number().int().nonnegative(),
    batchSize: z.number().int().positive(),
    trainImages: z.number().int().nonnegative(),
    klWeight: z.number(),
    heldoutNats: figure,
    heldoutAccuracy: figure,
    heldoutImages: figure,
    ece: figure,
    noiseRefusal: figure,
    digitRefusal: figure,
    meanMaxProbabilityNoise: figure,
    threshold: z.number(),
    evalDraws: z.number().int(),
    evalSeconds: figure,
  })
  .catchall(summaryValue);
export type ClassificationSummary = z.infer<typeof classificationSummarySchema>;

/** Either kind; zod tries classification first (its held-out fields are required, even when null). */
export const runSummarySchema = z.union([classificationSummarySchema, regressionSummarySchema]);
export type RunSummary = z.infer<typeof runSummarySchema>;

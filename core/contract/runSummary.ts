/**
 * A run's final figures of merit (run.json's `summary`; the CLI's --json prints them besides its
 * own fields, under these names, which scripts rely on). One schema per task kind; a summary may
 * carry more (a learned prior's `prior.pi`), so unknown keys of the plain value types pass.
 */
import { z } from 'zod';

const summaryValue = z.union([z.number(), z.string(), z.boolean(), z.null()]);
const figure = z.number().nullable();

// Fields in the order the trainers write them, so the CLI's --json lines keep their key order.
export const regressionSummarySchema = z
  .object({
    experiment: z.string(),
    preset: z.string(),
    seed: z.number().int(),
    /** Full-batch regressions count epochs (one optimizer step each). */
    epochs: z.number().int().nonnegative(),
    stepsPerSecond: z.number(),
    finalLoss: figure,
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
    experiment: z.string(),
    preset: z.string(),
    dataset: z.string(),
    datasetName: z.string(),
    estimator: z.string(),
    seed: z.number().int(),
    steps: z.number().int().nonnegative(),
    batchSize: z.number().int().positive(),
    trainImages: z.number().int().nonnegative(),
    klWeight: z.number(),
    stepsPerSecond: z.number(),
    finalLoss: figure,
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

/**
 * What crosses a process boundary for out-of-distribution images: images to classify (a file's
 * bytes, which the host decodes; in Electron a path the user dropped or picked; decoded pixels
 * for the gallery's ready-made images), the verdict on each, the
 * calibrated refusal threshold, and a run's stored OOD evaluation (`runs/<id>/ood.json`).
 * The numbers themselves are defined in core/ood/verdict.ts.
 */
import { z } from 'zod';

export const OOD_DEFAULT_DRAWS = 50;
export const OOD_MAX_DRAWS = 200;
/** Images per classifyImages call: the renderer sends larger drops in several calls. */
export const OOD_MAX_IMAGES_PER_CALL = 64;
/** Paths per classifyFiles call; the host decodes them in bounded batches. */
export const OOD_MAX_FILES_PER_CALL = 1000;
/**
 * Image file bytes per classifyImageFiles call, all files together. A hand-drawn digit or a photo
 * of one is far smaller; the browser sends larger drops in several calls.
 */
export const OOD_MAX_UPLOAD_BYTES = 8 * 1024 * 1024;
/** Files per classifyImageFiles call. */
export const OOD_MAX_UPLOAD_FILES = 16;
/** Decoded pixels per image the host accepts (RGBA: four values a pixel). */
export const OOD_MAX_IMAGE_PIXELS = 4_000_000;

export const classifyOptionsSchema = z
  .object({
    draws: z.number().int().min(1).max(OOD_MAX_DRAWS).default(OOD_DEFAULT_DRAWS),
    threshold: z.number().min(0).max(1).default(0.2),
  })
  .default({ draws: OOD_DEFAULT_DRAWS, threshold: 0.2 });
export type ClassifyOptions = z.infer<typeof classifyOptionsSchema>;
export type ClassifyOptionsInput = z.input<typeof classifyOptionsSchema>;

/**
 * A decoded image: grey bytes (width × height values) or RGBA bytes (4 × width × height). The
 * length is checked per image by the host, so one bad image is answered on its own.
 */
export const decodedImageInputSchema = z.object({
  name: z.string().min(1).max(200),
  width: z.number().int().min(1).max(100_000),
  height: z.number().int().min(1).max(100_000),
  pixels: z.array(z.number().int().min(0).max(255)).max(4 * OOD_MAX_IMAGE_PIXELS),
});
export type DecodedImageInput = z.infer<typeof decodedImageInputSchema>;

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;
/** Bytes a base64 text of `length` characters holds. */
export function base64ByteLength(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

/**
 * An image file as the renderer read it (dropped, picked, pasted): its name and its bytes, base64
 * so that the same value crosses JSON (the WebSocket) and structured clone (Electron IPC). The host
 * decodes it — one decoder for every shell, so the same file gets the same verdict everywhere.
 */
export const imageFileBytesSchema = z.object({
  name: z.string().min(1).max(200),
  base64: z
    .string()
    .min(4, 'an image file holds at least a few bytes')
    .max((OOD_MAX_UPLOAD_BYTES / 3) * 4 + 4)
    .refine(
      (text) => text.length % 4 === 0 && base64Pattern.test(text),
      'the bytes must be base64 (A–Z, a–z, 0–9, "+", "/", "=" padding)',
    ),
});
export type ImageFileBytes = z.infer<typeof imageFileBytesSchema>;
export const imageFileBytesListSchema = z
  .array(imageFileBytesSchema)
  .min(1)
  .max(OOD_MAX_UPLOAD_FILES)
  .refine(
    (files) => files.reduce((sum, file) => sum + base64ByteLength(file.base64), 0) <= OOD_MAX_UPLOAD_BYTES,
    `the files of one call hold at most ${OOD_MAX_UPLOAD_BYTES / (1024 * 1024)} MB together; send them in several calls`,
  );

const probability = z.number().min(0).max(1);
const nats = z.number().min(0);

export const classifiedImageSchema = z.discriminatedUnion('ok', [
  z.object({
    name: z.string(),
    ok: z.literal(true),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    /** A light background was inverted to MNIST's light-on-dark. */
    inverted: z.boolean(),
    /** What the network sees: 28 × 28 values in [0, 1], row-major. */
    preprocessed28: z.array(probability).length(784),
    predictedClass: z.number().int().nonnegative(),
    maxProbability: probability,
    predictiveEntropy: nats,
    expectedEntropy: nats,
    mutualInformation: nats,
    refused: z.boolean(),
    meanProbabilities: z.array(probability),
    /** [draw][class]: the class probabilities under each posterior draw. */
    drawProbabilities: z.array(z.array(probability)),
  }),
  z.object({ name: z.string(), ok: z.literal(false), error: z.string() }),
]);
export type ClassifiedImage = z.infer<typeof classifiedImageSchema>;
export type ClassifiedImageOk = Extract<ClassifiedImage, { ok: true }>;

export const classifyResultSchema = z.object({
  runId: z.string(),
  /** The step of the checkpoint whose network classified (a running run's latest). */
  checkpointStep: z.number().int().nonnegative(),
  draws: z.number().int().positive(),
  threshold: probability,
  results: z.array(classifiedImageSchema),
});
export type ClassifyResult = z.infer<typeof classifyResultSchema>;

export const thresholdCalibrationSchema = z.object({
  runId: z.string(),
  checkpointStep: z.number().int().nonnegative(),
  draws: z.number().int().positive(),
  /** Accept an image when its max mean probability is at least this. */
  threshold: probability,
  /** Fraction of held-out images accepted at that threshold (0.95). */
  acceptFraction: probability,
  heldoutCount: z.number().int().positive(),
});
export type ThresholdCalibration = z.infer<typeof thresholdCalibrationSchema>;

const scoreKindSchema = z.enum(['maxProbability', 'predictiveEntropy', 'mutualInformation']);
const separationSchema = z.object({ auroc: probability, fprAt95Tpr: probability });
const histogramSchema = z.object({ edges: z.array(z.number()), counts: z.array(z.number().int().nonnegative()) });

export const oodSetEvaluationSchema = z.object({
  name: z.string(),
  /** Where the images came from, in a sentence (dataset, noise kind, fonts). */
  description: z.string().optional(),
  count: z.number().int().positive(),
  meanMaxProbability: probability,
  refusedAtThreshold: probability,
  refusedAtCalibrated: probability,
  /** Mutual information is absent when the predictive has no epistemic part (see `notApplicable`). */
  scores: z.partialRecord(scoreKindSchema, separationSchema).optional(),
  histograms: z.record(scoreKindSchema, histogramSchema),
});
export type OodSetEvaluationRecord = z.infer<typeof oodSetEvaluationSchema>;

export const OOD_EVALUATION_FORMAT = 'bayesian-workbench/ood@1';

/** `runs/<id>/ood.json`: the same sets, seeds and draws for every run, so runs can be compared. */
/** What every stored evaluation of a checkpoint says about how it was made (ood.json, shift.json). */
export const storedEvaluationFields = {
  runId: z.string(),
  checkpointStep: z.number().int().nonnegative(),
  draws: z.number().int().positive(),
  seed: z.number().int(),
  createdAt: z.string(),
  seconds: z.number().nonnegative(),
  backend: z.string(),
};

export const oodEvaluationSchema = z.object({
  format: z.literal(OOD_EVALUATION_FORMAT),
  ...storedEvaluationFields,
  /** The run's refusal threshold (the reference text's 0.2 by default). */
  threshold: probability,
  calibratedThreshold: probability,
  acceptFraction: probability,
  heldoutAccuracy: probability,
  inDistribution: oodSetEvaluationSchema,
  outOfDistribution: z.array(oodSetEvaluationSchema),
  /**
   * Scores that do not apply to this run's predictive, with the reason: mutual information of a
   * point method (one set of weights), which would be 0 by construction.
   */
  notApplicable: z.partialRecord(scoreKindSchema, z.string()).optional(),
});
export type OodEvaluation = z.infer<typeof oodEvaluationSchema>;
export type OodScoreKindName = z.infer<typeof scoreKindSchema>;

/** Ready-made images for the "Unfamiliar images" panel: held-out digits, Fashion-MNIST, noise, letters. */
export const oodGallerySetSchema = z.object({
  name: z.string(),
  description: z.string(),
  images: z.array(decodedImageInputSchema),
});
export const oodGallerySchema = z.array(oodGallerySetSchema);
export type OodGallerySet = z.infer<typeof oodGallerySetSchema>;

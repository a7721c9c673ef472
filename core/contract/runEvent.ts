/**
 * The event stream of a run: worker → host → renderer. Every event carries `runId`, `step`
 * (optimizer steps done when it was produced) and `time` (ms since the epoch).
 */
import { z } from 'zod';

export const runStateSchema = z.enum(['queued', 'running', 'paused', 'completed', 'stopped', 'failed', 'interrupted']);
export type RunState = z.infer<typeof runStateSchema>;

/** The GPU adapter the webgpu backend runs on, as WebGPU's GPUAdapterInfo describes it. */
export const webGpuAdapterSchema = z.object({
  vendor: z.string(),
  architecture: z.string(),
  device: z.string(),
  description: z.string(),
  /** A fallback adapter is a software one (e.g. llvmpipe): `auto` never trains on it. */
  fallback: z.boolean(),
});
export type WebGpuAdapter = z.infer<typeof webGpuAdapterSchema>;

/** The adapter as a person reads it: its description and, when it is one, that it is a fallback. */
export function describeAdapter(adapter: WebGpuAdapter): string {
  const name = adapter.description || [adapter.vendor, adapter.device].filter(Boolean).join(' ') || 'unnamed adapter';
  const kind = [adapter.architecture, adapter.fallback ? 'fallback adapter' : ''].filter(Boolean).join(', ');
  return kind ? `${name} (${kind})` : name;
}

/** Which tfjs backend trained the run, and why the ones before it in the order were skipped. */
export const backendInfoSchema = z.object({
  name: z.string(),
  device: z.string(),
  /** On the webgpu backend: the adapter it trained on. */
  adapter: webGpuAdapterSchema.optional(),
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
});
export type BackendInfo = z.infer<typeof backendInfoSchema>;

const base = {
  runId: z.string().min(1).max(128),
  step: z.number().int().nonnegative(),
  time: z.number(),
};

export const statusEventSchema = z.object({
  ...base,
  type: z.literal('status'),
  state: runStateSchema,
  message: z.string().optional(),
  backend: backendInfoSchema.optional(),
  /**
   * On the `queued` status of a run resumed from its checkpoint: the checkpoint's step. Events
   * before it with a larger step belong to a stretch that was trained and then lost (see runTimeline.ts).
   */
  resumedFromStep: z.number().int().nonnegative().optional(),
});

export const progressEventSchema = z.object({
  ...base,
  type: z.literal('progress'),
  total: z.number().int().positive(),
  stepsPerSecond: z.number().nonnegative(),
  etaSeconds: z.number().nonnegative(),
});

/** Per-step training metrics. `loss = nll + klWeight · kl`. */
export const metricsEventSchema = z.object({
  ...base,
  type: z.literal('metrics'),
  loss: z.number(),
  nll: z.number(),
  kl: z.number(),
  klWeight: z.number(),
  accuracy: z.number().optional(),
  mse: z.number().optional(),
  /** Deep ensembles: each member's own NLL on the step's batch (as `nll`: batch mean, or summed for regression). */
  memberNll: z.array(z.number()).optional(),
  /** Deep ensembles: the NLL of the members' mixture on the batch (the ensemble's own curve). */
  ensembleNll: z.number().optional(),
  /**
   * The training worker's tfjs memory after the step (stamped by the worker, not the experiment):
   * tensors alive, their bytes, and on a GPU backend the bytes in GPU buffers. Flat across steps
   * when every tensor is disposed.
   */
  memory: z
    .object({
      tensors: z.number().int().nonnegative(),
      bytes: z.number().nonnegative(),
      gpuBytes: z.number().nonnegative().optional(),
    })
    .optional(),
});

/** Predictive of a regression run on a grid: mean and epistemic std over posterior draws. */
export const regressionEventSchema = z.object({
  ...base,
  type: z.literal('regression'),
  grid: z.array(z.number()),
  mean: z.array(z.number()),
  std: z.array(z.number()),
  trueY: z.array(z.number()),
  trainX: z.array(z.number()),
  trainY: z.array(z.number()),
  /** Null when the band has no epistemic width at all (a deterministic net): the ratio is undefined. */
  stdRatio: z.number().nullable(),
  rmseInside: z.number(),
  coverageInside: z.number(),
});

/** One image of the fixed evaluation panel and its Monte Carlo class probabilities. */
export const panelImageSchema = z.object({
  /** 'heldout' digits (with their label) or the reference text's 'noise' images (label null). */
  kind: z.enum(['heldout', 'noise']),
  label: z.number().int().nullable(),
  /** 28×28 grey levels 0..255, row-major (noise clipped to [0, 1] for display). */
  pixels: z.array(z.number()),
  /** Per posterior draw, the class probabilities: [T][C]. */
  drawProbabilities: z.array(z.array(z.number())),
  /** Mean over draws: [C]. */
  meanProbabilities: z.array(z.number()),
  refused: z.boolean(),
});
export type PanelImage = z.infer<typeof panelImageSchema>;

export const reliabilityBinSchema = z.object({
  lower: z.number(),
  upper: z.number(),
  count: z.number().int().nonnegative(),
  meanConfidence: z.number(),
  accuracy: z.number(),
});

/** Held-out evaluation over T posterior draws (see DESIGN.md for the definition of held-out nats). */
export const heldoutEventSchema = z.object({
  ...base,
  type: z.literal('heldout'),
  /** mean_n log((1/T) Σ_t p(y_n | x_n, w_t)): the log predictive probability of the true label. */
  heldoutNats: z.number(),
  accuracy: z.number(),
  ece: z.number(),
  /** Brier score and area under the risk–coverage curve (core/scoring/classificationScores); absent in runs made before them. */
  brier: z.number().optional(),
  aurc: z.number().optional(),
  /** The risk–coverage curve (at most 101 coverages, the last included) whose area is `aurc`; absent in older runs. */
  riskCoverage: z.object({ coverage: z.array(z.number()), risk: z.array(z.number()) }).optional(),
  reliability: z.array(reliabilityBinSchema),
  draws: z.number().int().positive(),
  images: z.number().int().positive(),
  threshold: z.number(),
  /** Fraction of held-out digits / noise images whose largest mean probability is below the threshold. */
  digitRefusal: z.number(),
  noiseRefusal: z.number(),
  meanMaxProbabilityNoise: z.number(),
  panel: z.array(panelImageSchema),
  evalSeconds: z.number().nonnegative(),
});

export const histogramSchema = z.object({
  min: z.number(),
  max: z.number(),
  counts: z.array(z.number().int().nonnegative()),
});
export type Histogram = z.infer<typeof histogramSchema>;

/** Weight-posterior statistics per variational layer (kernel and bias together). */
export const posteriorEventSchema = z.object({
  ...base,
  type: z.literal('posterior'),
  layers: z.array(
    z.object({
      name: z.string(),
      weights: z.number().int().nonnegative(),
      muHistogram: histogramSchema,
      sigmaHistogram: histogramSchema,
      meanAbsMu: z.number(),
      meanSigma: z.number(),
    }),
  ),
  /** Learned prior parameters (π, σ1, σ2 of the mixture…); empty when nothing is learned. */
  prior: z.record(z.string(), z.number()),
});

export const runEventSchema = z.discriminatedUnion('type', [
  statusEventSchema,
  progressEventSchema,
  metricsEventSchema,
  regressionEventSchema,
  heldoutEventSchema,
  posteriorEventSchema,
]);
export type RunEvent = z.infer<typeof runEventSchema>;
export type StatusEvent = z.infer<typeof statusEventSchema>;
export type ProgressEvent = z.infer<typeof progressEventSchema>;
export type MetricsEvent = z.infer<typeof metricsEventSchema>;
export type RegressionEvent = z.infer<typeof regressionEventSchema>;
export type HeldoutEvent = z.infer<typeof heldoutEventSchema>;
export type PosteriorEvent = z.infer<typeof posteriorEventSchema>;
export type RunEventType = RunEvent['type'];
/** An event as an experiment emits it: the host/worker stamps runId and time. */
export type ExperimentEvent = RunEvent extends infer E
  ? E extends RunEvent
    ? Omit<E, 'runId' | 'time'>
    : never
  : never;

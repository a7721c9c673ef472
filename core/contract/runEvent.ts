/**
 * The event stream of a run: worker → host → renderer. Every event carries `runId`, `step`
 * (optimizer steps done when it was produced) and `time` (ms since the epoch).
 */
import { z } from 'zod';

export const runStateSchema = z.enum(['queued', 'running', 'paused', 'completed', 'stopped', 'failed', 'interrupted']);
export type RunState = z.infer<typeof runStateSchema>;

/** Which tfjs backend trained the run, and why the ones before it in the order were skipped. */
export const backendInfoSchema = z.object({
  name: z.string(),
  device: z.string(),
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
  stdRatio: z.number(),
  rmseInside: z.number(),
  coverageInside: z.number(),
});

export const runEventSchema = z.discriminatedUnion('type', [
  statusEventSchema,
  progressEventSchema,
  metricsEventSchema,
  regressionEventSchema,
]);
export type RunEvent = z.infer<typeof runEventSchema>;
export type StatusEvent = z.infer<typeof statusEventSchema>;
export type ProgressEvent = z.infer<typeof progressEventSchema>;
export type MetricsEvent = z.infer<typeof metricsEventSchema>;
export type RegressionEvent = z.infer<typeof regressionEventSchema>;
export type RunEventType = RunEvent['type'];
/** An event as an experiment emits it: the host/worker stamps runId and time. */
export type ExperimentEvent = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'runId' | 'time'> : never) : never;

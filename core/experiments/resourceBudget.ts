/**
 * What a run may cost, computed from its configuration before it starts: the schema bounds each
 * setting alone, but products of settings can still exhaust the process (8 × 1024 hidden units ×
 * 256 samples per step overran wasm's 4 GB heap; a 10,000-point predictive band every epoch wrote
 * 7.8 MB/s of events). Each experiment estimates its own costs (core/experiments/<name>/budget.ts);
 * this file holds the limits and turns an estimate over a limit into a sentence for the user.
 * Pure and cheap: the host checks before queueing a run, the worker again before training it.
 */

/** Peak memory of one training step or one evaluation chunk: half of wasm's 4 GB heap. */
export const MEMORY_LIMIT_BYTES = 2 * 1024 ** 3;
/** Events written per training step, averaged (a default LeNet5 run writes ≈ 1 kB, a sinusoid ≈ 1.2 kB). */
export const EVENT_BYTES_PER_STEP_LIMIT = 64 * 1024;
/** Events written by the whole run (events.ndjson is read back whole by getRunEvents). */
export const EVENT_BYTES_PER_RUN_LIMIT = 1024 ** 3;
/** One float32 tensor element. */
export const FLOAT_BYTES = 4;
/** A number in a JSON event, with its separator: ~19 significant characters at most. */
export const JSON_NUMBER_BYTES = 20;
/** A `metrics` and a `progress` event per training step, as written (measured ≈ 210 + 170 bytes). */
export const STEP_EVENT_BYTES = 400;

export interface ResourceEstimate {
  /** Peak bytes of the costliest phase, and that phase in words with the settings that drive it. */
  memory: { bytes: number; what: string; hint: string };
  /** Average event bytes per training step, and what writes them. */
  events: { bytesPerStep: number; totalBytes: number; what: string; hint: string };
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1).replace(/\.0$/, '')} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1).replace(/\.0$/, '')} MB`;
  return `${Math.ceil(bytes / 1024)} kB`;
}

/** The sentences saying which limits `estimate` breaks (empty when it fits). */
export function budgetProblems(estimate: ResourceEstimate): string[] {
  const problems: string[] = [];
  const { memory, events } = estimate;
  if (memory.bytes > MEMORY_LIMIT_BYTES) {
    problems.push(
      `This configuration needs about ${formatBytes(memory.bytes)} of memory for ${memory.what}; the workbench allows ${formatBytes(MEMORY_LIMIT_BYTES)}. ${memory.hint}`,
    );
  }
  if (events.bytesPerStep > EVENT_BYTES_PER_STEP_LIMIT) {
    problems.push(
      `This configuration writes about ${formatBytes(events.bytesPerStep)} of events per training step (${events.what}); the workbench allows ${formatBytes(EVENT_BYTES_PER_STEP_LIMIT)} per step. ${events.hint}`,
    );
  } else if (events.totalBytes > EVENT_BYTES_PER_RUN_LIMIT) {
    problems.push(
      `This configuration writes about ${formatBytes(events.totalBytes)} of events over the run (${events.what}); the workbench allows ${formatBytes(EVENT_BYTES_PER_RUN_LIMIT)} per run. ${events.hint}`,
    );
  }
  return problems;
}

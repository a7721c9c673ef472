/**
 * The loop every experiment trains with: one optimizer step at a time, metrics after each, progress
 * at most every 200 ms, an evaluation every `evalEvery` steps and at the end (each followed by a
 * checkpoint), a checkpoint after every `checkpointEveryMs` of training besides (so a crash loses at
 * most about that much work, however far apart evaluations are), a cooperative stop (checkpointed
 * too), and a divergence check (a NaN or infinite loss ends the run as failed, with the step).
 */
import type { ExperimentHooks } from '../experiments/trainer';

export interface StepMetrics {
  loss: number;
  nll: number;
  kl: number;
  klWeight: number;
  accuracy?: number;
  mse?: number;
  /** Deep ensembles: per-member NLL and the mixture's NLL on the step's batch. */
  memberNll?: number[];
  ensembleNll?: number;
}

export interface TrainingLoopArgs {
  totalSteps: number;
  /** Steps already done (a resumed run); the loop continues from here. */
  startStep?: number;
  evalEvery: number;
  hooks: ExperimentHooks;
  /** Runs optimizer step number `step` (1-based) and returns its metrics (read back asynchronously: see engine/readback.ts). */
  trainStep(step: number): StepMetrics | Promise<StepMetrics>;
  /** Evaluates after `step` steps and emits its events. */
  evaluate(step: number): void | Promise<void>;
  /** Hands the state after `step` steps to the host: after every evaluation, on the time budget and at a stop. */
  saveCheckpoint?(step: number): void | Promise<void>;
  /**
   * Training time (steps only, evaluations excluded) after which a checkpoint is taken even without
   * an evaluation. Defaults to the hooks' `checkpointIntervalMs`, else DEFAULT_CHECKPOINT_INTERVAL_MS.
   */
  checkpointEveryMs?: number;
}

/** A kill loses at most about this much training (a LeNet5 evaluation interval is ≈ 25 s to minutes). */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;

export interface TrainingLoopResult {
  stepsDone: number;
  stopped: boolean;
  /** Seconds spent in training steps (evaluations excluded). */
  trainSeconds: number;
  stepsPerSecond: number;
  lastMetrics?: StepMetrics;
}

export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(
    readonly step: number,
    readonly metrics: StepMetrics,
  ) {
    super(
      `Training diverged at step ${step}: the loss is ${metrics.loss} (NLL ${metrics.nll}, KL ${metrics.kl}). ` +
        'Lower the learning rate or the initial posterior scale and start again.',
    );
  }
}

const PROGRESS_INTERVAL_MS = 200;
const YIELD_INTERVAL_MS = 50;

export async function runTrainingLoop(args: TrainingLoopArgs): Promise<TrainingLoopResult> {
  const { totalSteps, evalEvery, hooks } = args;
  let step = args.startStep ?? 0;
  let trainMs = 0;
  let lastProgress = -Infinity;
  let lastYield = performance.now();
  let lastMetrics: StepMetrics | undefined;
  let stopped = false;
  let checkpointedStep = step;
  const checkpointEveryMs = args.checkpointEveryMs ?? hooks.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  let trainMsAtCheckpoint = 0;
  const rate = () => (trainMs > 0 ? (step - (args.startStep ?? 0)) / (trainMs / 1000) : 0);

  while (step < totalSteps) {
    if (hooks.shouldStop()) {
      stopped = true;
      break;
    }
    const started = performance.now();
    const metrics = await args.trainStep(step + 1);
    trainMs += performance.now() - started;
    step += 1;
    lastMetrics = metrics;
    if (!Number.isFinite(metrics.loss)) throw new TrainingDivergedError(step, metrics);
    hooks.emit({ type: 'metrics', step, ...metrics });

    const now = performance.now();
    if (now - lastProgress >= PROGRESS_INTERVAL_MS || step === totalSteps) {
      lastProgress = now;
      const stepsPerSecond = rate();
      const etaSeconds = stepsPerSecond > 0 ? (totalSteps - step) / stepsPerSecond : 0;
      hooks.emit({ type: 'progress', step, total: totalSteps, stepsPerSecond, etaSeconds });
    }
    if (step % evalEvery === 0 || step === totalSteps) {
      await args.evaluate(step);
      await args.saveCheckpoint?.(step);
      checkpointedStep = step;
      trainMsAtCheckpoint = trainMs;
    } else if (args.saveCheckpoint && trainMs - trainMsAtCheckpoint >= checkpointEveryMs) {
      await args.saveCheckpoint(step);
      checkpointedStep = step;
      trainMsAtCheckpoint = trainMs;
    }
    if (hooks.yieldToHost && performance.now() - lastYield >= YIELD_INTERVAL_MS) {
      await hooks.yieldToHost();
      lastYield = performance.now();
    }
  }
  if (stopped && step > checkpointedStep) await args.saveCheckpoint?.(step);
  return { stepsDone: step, stopped, trainSeconds: trainMs / 1000, stepsPerSecond: rate(), lastMetrics };
}

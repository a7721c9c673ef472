/**
 * Issue #14 item 14: the training loop checkpoints on a time budget besides evaluations, so a crash
 * loses at most about `checkpointEveryMs` of training (60 s by default) however far apart evaluations are.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHECKPOINT_INTERVAL_MS, runTrainingLoop, type StepMetrics } from '../../../core/training/trainingLoop';
import type { ExperimentHooks } from '../../../core/experiments/trainer';

/** A step that takes `ms` of wall time, as a real one would. */
function slowStep(ms: number): () => StepMetrics {
  return () => {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // busy: training time is what the budget counts
    }
    return { loss: 1, nll: 1, kl: 0, klWeight: 1 };
  };
}

const quietHooks = (extra: Partial<ExperimentHooks> = {}): ExperimentHooks => ({
  emit: () => undefined,
  shouldStop: () => false,
  ...extra,
});

describe('checkpoints on a time budget', () => {
  it('checkpoints every checkpointEveryMs of training between evaluations, and still after every evaluation', async () => {
    const checkpoints: number[] = [];
    const evaluations: number[] = [];
    const result = await runTrainingLoop({
      totalSteps: 60,
      evalEvery: 50,
      hooks: quietHooks(),
      trainStep: slowStep(2),
      evaluate: (step) => void evaluations.push(step),
      saveCheckpoint: (step) => void checkpoints.push(step),
      checkpointEveryMs: 20,
    });
    expect(evaluations).toEqual([50, 60]);
    expect(checkpoints).toEqual(expect.arrayContaining([50, 60]));
    const beforeFirstEvaluation = checkpoints.filter((step) => step < 50);
    // ≥ 2 ms a step and a 20 ms budget: 50 steps are ≥ 100 ms, so ≥ 3 checkpoints, and never more than one per budget.
    expect(beforeFirstEvaluation.length).toBeGreaterThanOrEqual(3);
    expect(checkpoints.length).toBeLessThanOrEqual(Math.floor((result.trainSeconds * 1000) / 20) + 2);
  });

  it('takes its budget from the hooks (the host setting) and defaults to a minute', async () => {
    expect(DEFAULT_CHECKPOINT_INTERVAL_MS).toBe(60_000);
    const checkpoints: number[] = [];
    await runTrainingLoop({
      totalSteps: 30,
      evalEvery: 1000,
      hooks: quietHooks({ checkpointIntervalMs: 10 }),
      trainStep: slowStep(2),
      evaluate: () => undefined,
      saveCheckpoint: (step) => void checkpoints.push(step),
    });
    expect(checkpoints.filter((step) => step < 30).length).toBeGreaterThanOrEqual(2);
    const none: number[] = [];
    await runTrainingLoop({
      totalSteps: 30,
      evalEvery: 1000,
      hooks: quietHooks(),
      trainStep: slowStep(1),
      evaluate: () => undefined,
      saveCheckpoint: (step) => void none.push(step),
    });
    expect(none).toEqual([30]); // 30 ms of training is far below the default minute
  });
});

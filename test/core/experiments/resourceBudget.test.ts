/**
 * The configuration budgets: every preset fits; the configurations that took the process down
 * (8×1024 hidden units × 256 samples; a 10,000-point band every epoch; a LeNet5 evaluated every
 * step) are refused with the number, the limit and what to lower.
 */
import { describe, expect, it } from 'vitest';
import { runConfigSchema, type RunConfig } from '../../../core/contract/runConfig';
import { estimateResources, runBudgetProblems } from '../../../core/experiments/budgets';
import { descriptorOf, registeredDescriptors } from '../../../core/experiments/registry';
import { EVENT_BYTES_PER_STEP_LIMIT, MEMORY_LIMIT_BYTES } from '../../../core/experiments/resourceBudget';
import { WORKER_REPLICA_BYTES } from '../../../core/experiments/lenet5/budget';

const sinusoid = (overrides: Record<string, unknown>): RunConfig =>
  runConfigSchema.parse({ ...descriptorOf('sinusoid').presets[0].config, ...overrides });
const lenet5 = (overrides: Record<string, unknown>): RunConfig =>
  runConfigSchema.parse({ experiment: 'lenet5', ...overrides });

describe('configuration budgets', () => {
  it('let every preset run, with room to spare', () => {
    for (const experiment of registeredDescriptors) {
      for (const preset of experiment.presets) {
        const config = runConfigSchema.parse(preset.config);
        expect(runBudgetProblems(config), `${experiment.name}/${preset.name}`).toEqual([]);
        expect(estimateResources(config).memory.bytes).toBeLessThan(MEMORY_LIMIT_BYTES / 10);
        expect(estimateResources(config).events.bytesPerStep).toBeLessThan(EVENT_BYTES_PER_STEP_LIMIT / 10);
      }
    }
  });

  it('refuse the sinusoid configurations that crashed wasm or flooded the event log', () => {
    expect(runBudgetProblems(sinusoid({ hiddenUnits: Array(8).fill(1024), samplesPerStep: 256 }))).toEqual([
      expect.stringMatching(
        /^This configuration needs about [\d.]+ GB of memory for one training step \(hidden units 8×1024, 256 samples per step\); the workbench allows 2 GB\. Lower samplesPerStep or hiddenUnits\.$/,
      ),
    ]);
    expect(runBudgetProblems(sinusoid({ gridPoints: 10_000, predictiveDraws: 2, evalEvery: 1 }))).toEqual([
      'This configuration writes about 783 kB of events per training step (a 10000-point predictive band every 1 epoch); the workbench allows 64 kB per step. Raise evalEvery or lower gridPoints.',
    ]);
    // Large but affordable settings stay allowed.
    expect(runBudgetProblems(sinusoid({ hiddenUnits: [256, 256], samplesPerStep: 32, gridPoints: 2000 }))).toEqual([]);
    expect(runBudgetProblems(sinusoid({ gridPoints: 10_000, evalEvery: 100 }))).toEqual([]);
  });

  it('refuse a LeNet5 evaluated every step, and grow with the batch and the draws', () => {
    expect(runBudgetProblems(lenet5({ evalEvery: 1 }))[0]).toMatch(
      /^This configuration writes about \d+ kB of events per training step \(an evaluation with 50 draws every 1 step\); the workbench allows 64 kB per step\. Raise evalEvery or lower evalDraws\.$/,
    );
    expect(estimateResources(lenet5({ batchSize: 1024 })).memory.bytes).toBeGreaterThan(
      estimateResources(lenet5({ batchSize: 128 })).memory.bytes,
    );
    expect(estimateResources(lenet5({ dataset: 'fashion-mnist', evalDraws: 1000 })).memory.what).toBe(
      'an evaluation (1000 posterior draws over 10500 images)',
    );
  });

  it('count every worker thread of data-parallel training: its replica and its slice of the batch', () => {
    const one = estimateResources(lenet5({})).memory;
    const two = estimateResources(lenet5({ workers: 2 })).memory;
    // Each added thread brings its own backend and replica (and, evaluating, its own chunk of images).
    expect(two.bytes - one.bytes).toBeGreaterThanOrEqual(WORKER_REPLICA_BYTES);
    expect(two.what).toMatch(/over 2 worker threads \(each with its own backend and network replica\)$/);
    expect(estimateResources(lenet5({ workers: 4 })).memory.bytes - one.bytes).toBeGreaterThanOrEqual(
      3 * WORKER_REPLICA_BYTES,
    );
    expect(runBudgetProblems(lenet5({ workers: 2 }))).toEqual([]);
    expect(runBudgetProblems(lenet5({ workers: 16 }))).toEqual([
      expect.stringMatching(
        /^This configuration needs about [\d.]+ GB of memory for .+ over 16 worker threads .+; the workbench allows 2 GB\. Lower (batchSize|evalDraws) or workers\.$/,
      ),
    ]);
    // Point methods train on one thread whatever workers says (the trainer refuses more): no replicas counted.
    expect(estimateResources(lenet5({ method: 'deterministic', workers: 4 })).memory.bytes).toBe(
      estimateResources(lenet5({ method: 'deterministic' })).memory.bytes,
    );
  });
});

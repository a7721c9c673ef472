import { describe, expect, it } from 'vitest';
import { sweepStatus } from '../../../core/sweeps/sweepProgress';
import {
  meanAndStd,
  rankSeedGroups,
  scoreDirection,
  scoreKeysOf,
  type ScoredRun,
} from '../../../core/sweeps/sweepResults';
import type { SweepRecord } from '../../../core/contract/sweep';

const run = (id: string, state: string, stdRatio?: number): ScoredRun => ({
  id,
  state,
  config: { experiment: 'sinusoid' },
  summary: stdRatio === undefined ? undefined : { seed: 0, epochs: 10, stepsPerSecond: 40, stdRatio, finalLoss: 3 },
});

describe('sweep results', () => {
  it('lists the scores, not the settings, and knows which way is better', () => {
    expect(scoreKeysOf([run('a', 'completed', 2)])).toEqual(['stdRatio', 'finalLoss']);
    expect(scoreDirection('sinusoid', 'stdRatio')).toBe('higher');
    expect(scoreDirection('sinusoid', 'rmseInside')).toBe('lower');
    expect(scoreDirection('sinusoid', 'finalLoss')).toBe('lower');
    expect(scoreDirection('lenet5', 'heldoutAccuracy')).toBe('higher');
  });

  it('ranks seed groups by mean ± sample std, unscored groups last', () => {
    const runs = new Map(
      [
        run('a0', 'completed', 2),
        run('a1', 'completed', 4),
        run('b0', 'completed', 5),
        run('b1', 'failed', 9),
        run('c0', 'running'),
      ].map((entry) => [entry.id, entry]),
    );
    const groups = [
      { axisValues: { lr: 0.01 }, runIds: ['c0'] },
      { axisValues: { lr: 0.03 }, runIds: ['a0', 'a1'] },
      { axisValues: { lr: 0.1 }, runIds: ['b0', 'b1'] },
    ];
    const higher = rankSeedGroups(groups, runs, 'stdRatio', 'higher');
    expect(higher.map((group) => group.axisValues.lr)).toEqual([0.1, 0.03, 0.01]);
    expect(higher[0]).toMatchObject({ values: [5], mean: 5, std: null }); // the failed run is left out
    expect(higher[1].mean).toBe(3);
    expect(higher[1].std).toBeCloseTo(Math.SQRT2, 12);
    expect(rankSeedGroups(groups, runs, 'stdRatio', 'lower').map((group) => group.axisValues.lr)).toEqual([
      0.03, 0.1, 0.01,
    ]);
    expect(meanAndStd([1, 2, 3])).toEqual({ mean: 2, std: 1 });
  });

  it('derives progress from the run records, a missing run counted failed', () => {
    const sweep = { runIds: ['a', 'b', 'c', 'd', 'e'] } as SweepRecord;
    const records = new Map([
      ['a', { id: 'a', state: 'completed' as const, step: 10, totalSteps: 10 }],
      ['b', { id: 'b', state: 'running' as const, step: 3, totalSteps: 10 }],
      ['c', { id: 'c', state: 'queued' as const, step: 0, totalSteps: 10 }],
      ['d', { id: 'd', state: 'interrupted' as const, step: 4, totalSteps: 10, message: 'ended' }],
    ]);
    const status = sweepStatus(sweep, records);
    expect(status.counts).toEqual({ queued: 1, running: 1, done: 1, failed: 2 });
    expect(status.runs.map((entry) => entry.progress)).toEqual(['done', 'running', 'queued', 'failed', 'failed']);
    expect(status.runs[4].state).toBe('missing');
    expect(status.finished).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../core/contract/runEvent';
import { currentTimeline } from '../../../core/contract/runTimeline';

const metrics = (step: number): RunEvent => ({
  type: 'metrics',
  runId: 'r',
  step,
  time: step,
  loss: 1,
  nll: 1,
  kl: 0,
  klWeight: 1,
});
const status = (step: number, state: 'queued' | 'running' | 'interrupted', resumedFromStep?: number): RunEvent => ({
  type: 'status',
  runId: 'r',
  step,
  time: step,
  state,
  ...(resumedFromStep === undefined ? {} : { resumedFromStep }),
});

describe('currentTimeline', () => {
  it('leaves out the stretch lost after a checkpoint, keeps every status, and handles resumes within resumes', () => {
    const log = [
      status(0, 'queued'),
      status(0, 'running'),
      metrics(1),
      metrics(2),
      metrics(3),
      metrics(4),
      metrics(5),
      status(5, 'interrupted'),
      status(2, 'queued', 2),
      status(2, 'running'),
      metrics(3),
      metrics(4),
      status(4, 'interrupted'),
      status(3, 'queued', 3),
      status(3, 'running'),
      metrics(4),
      metrics(5),
    ];
    const timeline = currentTimeline(log);
    expect(timeline.filter((event) => event.type === 'metrics').map((event) => event.step)).toEqual([1, 2, 3, 4, 5]);
    expect(timeline.filter((event) => event.type === 'status')).toHaveLength(8);
    // The kept metrics are the newest of each step: 3 from the second stretch, 4 and 5 from the third.
    const kept = timeline.filter((event) => event.type === 'metrics');
    expect(kept[2]).toBe(log[10]);
    expect(kept.slice(3)).toEqual([log[15], log[16]]);
    expect(kept[3]).toBe(log[15]);
  });

  it('returns a log without resumes unchanged', () => {
    const log = [status(0, 'queued'), metrics(1), metrics(2)];
    expect(currentTimeline(log)).toEqual(log);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../../../core/contract/runEvent';
import { EventCoalescer } from '../../../electron/host/eventCoalescer';

const progress = (runId: string, step: number): RunEvent => ({
  type: 'progress',
  runId,
  step,
  time: 0,
  total: 100,
  stepsPerSecond: 1,
  etaSeconds: 1,
});
const metrics = (runId: string, step: number): RunEvent => ({
  type: 'metrics',
  runId,
  step,
  time: 0,
  loss: 1,
  nll: 1,
  kl: 0,
  klWeight: 1,
});
const status = (runId: string, step: number): RunEvent => ({
  type: 'status',
  runId,
  step,
  time: 0,
  state: 'completed',
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('EventCoalescer', () => {
  it('forwards the first progress at once and then only the latest per interval', () => {
    const forwarded: RunEvent[] = [];
    const coalescer = new EventCoalescer((event) => forwarded.push(event), { progressMs: 100, metricsMs: 50 });
    for (let step = 1; step <= 10; step += 1) coalescer.push(progress('a', step));
    expect(forwarded.map((event) => event.step)).toEqual([1]);
    vi.advanceTimersByTime(100);
    expect(forwarded.map((event) => event.step)).toEqual([1, 10]);
    coalescer.dispose();
  });

  it('limits metrics to one per interval per run, runs independently', () => {
    const forwarded: RunEvent[] = [];
    const coalescer = new EventCoalescer((event) => forwarded.push(event), { progressMs: 100, metricsMs: 50 });
    // 1000 steps at one per millisecond: at most ~20 per second per run get through.
    for (let ms = 0; ms < 1000; ms += 1) {
      coalescer.push(metrics('a', ms + 1));
      coalescer.push(metrics('b', ms + 1));
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(50);
    const forA = forwarded.filter((event) => event.runId === 'a');
    expect(forA.length).toBeGreaterThanOrEqual(19);
    expect(forA.length).toBeLessThanOrEqual(22);
    expect(forA.at(-1)?.step).toBe(1000);
    expect(forwarded.filter((event) => event.runId === 'b')).toHaveLength(forA.length);
    coalescer.dispose();
  });

  it('lets status events through at once, after what was held back for that run', () => {
    const forwarded: RunEvent[] = [];
    const coalescer = new EventCoalescer((event) => forwarded.push(event), { progressMs: 100, metricsMs: 50 });
    coalescer.push(progress('a', 1));
    coalescer.push(progress('a', 2));
    coalescer.push(metrics('a', 2));
    coalescer.push(metrics('a', 3));
    coalescer.push(status('a', 3));
    expect(forwarded.map((event) => `${event.type}:${event.step}`)).toEqual([
      'progress:1',
      'metrics:2',
      'progress:2',
      'metrics:3',
      'status:3',
    ]);
    coalescer.dispose();
  });
});

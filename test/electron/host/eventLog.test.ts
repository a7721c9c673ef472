/**
 * Issue #14 item 7, "nothing is ever read whole": the event log is read as a stream of bounded
 * lines, and what one read returns is capped — a long run is thinned evenly, keeping every
 * evaluation event (up to its own cap) and the last events of every kind.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../core/contract/runEvent';
import { EVENT_READ_LIMITS, EVENT_READ_TAIL, EventThinner, readLines } from '../../../electron/host/eventLog';
import { RunStore } from '../../../electron/host/runStore';
import { metricsEvent, runRecord } from '../../faults/faultHelpers';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-eventlog-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function heldout(step: number): RunEvent {
  return {
    type: 'heldout',
    runId: 'long',
    step,
    time: 1,
    heldoutNats: -0.1,
    accuracy: 0.9,
    ece: 0.01,
    reliability: [],
    draws: 2,
    images: 10,
    threshold: 0.2,
    digitRefusal: 0,
    noiseRefusal: 1,
    meanMaxProbabilityNoise: 0.3,
    panel: [],
    evalSeconds: 1,
  };
}

describe('EventThinner', () => {
  it('keeps a run under its limits whole, and thins a longer one evenly with its tail, in log order', () => {
    const small = new EventThinner();
    for (let step = 1; step <= 6000; step += 1) small.add(metricsEvent('a', step));
    expect(small.events()).toHaveLength(6000);
    expect(small.thinned).toBe(false);

    const long = new EventThinner();
    for (let step = 1; step <= 100_000; step += 1) long.add(metricsEvent('a', step));
    const steps = long.events().map((event) => event.step);
    expect(long.thinned).toBe(true);
    expect(steps.length).toBeLessThanOrEqual(EVENT_READ_LIMITS.metrics + EVENT_READ_TAIL);
    expect(steps.length).toBeGreaterThan(EVENT_READ_LIMITS.metrics / 2);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(steps.slice(-EVENT_READ_TAIL)).toEqual(
      Array.from({ length: EVENT_READ_TAIL }, (_, index) => 100_000 - EVENT_READ_TAIL + 1 + index),
    );
    const gaps = new Set(
      steps
        .slice(0, -EVENT_READ_TAIL - 1)
        .map((step, index, all) => (index === 0 ? 0 : step - all[index - 1]))
        .slice(1),
    );
    expect(gaps.size).toBe(1); // even
  });
});

describe('readLines', () => {
  it('splits lines across chunk boundaries and skips a line longer than the limit without holding it', async () => {
    const file = path.join(dir, 'lines');
    const long = 'x'.repeat(600_000);
    await fs.writeFile(file, `first\n${long}\nsecond\n${'y'.repeat(300_000)}\nthird`);
    const handle = await fs.open(file, 'r');
    const lines: string[] = [];
    let overlong = 0;
    const tail = await readLines(
      handle,
      {
        line: (text) => void lines.push(text.length > 20 ? `<${text.length}>` : text),
        overlong: () => void (overlong += 1),
      },
      500_000,
    );
    await handle.close();
    expect(lines).toEqual(['first', 'second', '<300000>']);
    expect(overlong).toBe(1);
    expect(tail).toBe('third');
  });
});

describe('RunStore.readEvents of a long run', () => {
  it('returns a bounded, thinned history with every evaluation and the newest events', async () => {
    const store = new RunStore(dir);
    await store.createRun(runRecord('long', { totalSteps: 60_000, step: 60_000 }));
    const lines: string[] = [];
    for (let step = 1; step <= 60_000; step += 1) {
      lines.push(JSON.stringify({ ...metricsEvent('long', step) }));
      if (step % 400 === 0) lines.push(JSON.stringify(heldout(step)));
    }
    await fs.appendFile(path.join(dir, 'long', 'events.ndjson'), `${lines.join('\n')}\n`);
    const stored = await store.readEvents('long');
    expect(stored.thinned).toBe(true);
    expect(stored.events.length).toBeLessThanOrEqual(EVENT_READ_LIMITS.metrics + EVENT_READ_TAIL + 150);
    expect(stored.events.filter((event) => event.type === 'heldout')).toHaveLength(150);
    expect(stored.events.at(-1)).toMatchObject({ type: 'heldout', step: 60_000 });
    await store.close();
  });
});

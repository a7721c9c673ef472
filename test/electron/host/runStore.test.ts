import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sinusoidConfigSchema } from '../../../core/contract/runConfig';
import type { RunEvent } from '../../../core/contract/runEvent';
import type { RunRecord } from '../../../core/contract/workbenchApi';
import { createRunId, RunStore, RunStoreError } from '../../../electron/host/runStore';

const config = sinusoidConfigSchema.parse({
  experiment: 'sinusoid',
  epochs: 10,
  learningRate: 0.03,
  prior: { kind: 'normal' },
  kl: 'analytic',
  init: {},
});

function record(id: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    name: id,
    tags: [],
    config,
    state: 'queued',
    createdAt: new Date().toISOString(),
    step: 0,
    totalSteps: 10,
    ...overrides,
  };
}

function metrics(runId: string, step: number): RunEvent {
  return { type: 'metrics', runId, step, time: 1, loss: 1, nll: 1, kl: 0, klWeight: 1 };
}

let runsDir: string;
let store: RunStore;

beforeEach(async () => {
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-store-'));
  store = new RunStore(runsDir, { flushIntervalMs: 20 });
});

afterEach(async () => {
  await store.close();
  await fs.rm(runsDir, { recursive: true, force: true });
});

describe('createRunId', () => {
  it('is readable, path-safe and differs between two calls in the same second', () => {
    const when = new Date(2026, 10, 26, 5, 15, 0);
    const first = createRunId('sinusoid', when);
    const second = createRunId('sinusoid', when);
    expect(first).toMatch(/^20261126-051500-sinusoid-[a-z0-9]{4}$/);
    expect(first).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(second).not.toBe(first);
  });
});

describe('RunStore records', () => {
  it('writes run.json atomically, leaving no temporary file, and reads it back', async () => {
    await store.createRun(record('a'));
    await store.writeRecord(record('a', { state: 'running', step: 4 }));
    const files = await fs.readdir(path.join(runsDir, 'a'));
    expect(files.filter((file) => file.endsWith('.tmp'))).toEqual([]);
    expect((await store.readRecord('a')).step).toBe(4);
  });

  it('keeps the last of many concurrent writes (they are serialized per run)', async () => {
    await store.createRun(record('a'));
    await Promise.all(
      Array.from({ length: 20 }, (_, step) => store.writeRecord(record('a', { state: 'running', step }))),
    );
    expect((await store.readRecord('a')).step).toBe(19);
  });

  it('refuses to create a run that already exists and ids that could escape the runs folder', async () => {
    await store.createRun(record('a'));
    await expect(store.createRun(record('a'))).rejects.toThrow(RunStoreError);
    expect(() => store.runDir('../etc')).toThrow(/not a valid run id/);
    await expect(store.readRecord('nope')).rejects.toThrow(/There is no run "nope"/);
  });

  it('lists valid runs newest first and a corrupt run.json as damaged without deleting it', async () => {
    await store.createRun(record('old', { createdAt: '2026-01-01T00:00:00.000Z' }));
    await store.createRun(record('new', { createdAt: '2026-02-01T00:00:00.000Z' }));
    await fs.mkdir(path.join(runsDir, 'broken'));
    await fs.writeFile(path.join(runsDir, 'broken', 'run.json'), '{"id": "broken", "state": "runn');
    await fs.mkdir(path.join(runsDir, 'invalid'));
    await fs.writeFile(
      path.join(runsDir, 'invalid', 'run.json'),
      JSON.stringify({ ...record('invalid'), state: 'exploded' }),
    );

    const listing = await store.listRuns();
    expect(listing.runs.map((run) => run.id)).toEqual(['new', 'old']);
    expect(listing.damaged.map((run) => run.id).sort()).toEqual(['broken', 'invalid']);
    expect(listing.damaged.find((run) => run.id === 'broken')?.reason).toMatch(/not valid JSON/);
    expect(listing.damaged.find((run) => run.id === 'invalid')?.reason).toMatch(/state/);
    await expect(fs.readFile(path.join(runsDir, 'broken', 'run.json'), 'utf8')).resolves.toContain('"runn');
  });
});

describe('RunStore events', () => {
  it('flushes appended events within the flush interval without being asked', async () => {
    await store.createRun(record('a'));
    store.appendEvent(metrics('a', 1));
    store.appendEvent(metrics('a', 2));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const text = await fs.readFile(path.join(runsDir, 'a', 'events.ndjson'), 'utf8');
    expect(
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).step),
    ).toEqual([1, 2]);
  });

  it('reads buffered events too, in order', async () => {
    await store.createRun(record('a'));
    for (let step = 1; step <= 5; step += 1) store.appendEvent(metrics('a', step));
    const { events } = await store.readEvents('a');
    expect(events.map((event) => event.step)).toEqual([1, 2, 3, 4, 5]);
  });

  it('tolerates a truncated last line and starts the next append on a fresh line', async () => {
    await store.createRun(record('a'));
    const file = path.join(runsDir, 'a', 'events.ndjson');
    const complete = `${JSON.stringify(metrics('a', 1))}\n${JSON.stringify(metrics('a', 2))}\n`;
    await fs.writeFile(file, `${complete}{"type":"metrics","runId":"a","st`);

    const later = new RunStore(runsDir, { flushIntervalMs: 20 });
    const before = await later.readEvents('a');
    expect(before.events.map((event) => event.step)).toEqual([1, 2]);
    expect(before.truncatedTail).toBe(true);

    later.appendEvent(metrics('a', 3));
    const after = await later.readEvents('a');
    expect(after.events.map((event) => event.step)).toEqual([1, 2, 3]);
    expect(after.skippedLines).toBe(1); // the old partial line, now complete but invalid, is kept on disk
    await later.close();
  });
});

describe('RunStore.markInterruptedRuns', () => {
  it('marks runs left unfinished by a dead process as interrupted, at their last stored step', async () => {
    await store.createRun(record('was-running', { state: 'running' }));
    for (let step = 1; step <= 7; step += 1) store.appendEvent(metrics('was-running', step));
    await store.flushEvents();
    await store.createRun(record('was-queued'));
    await store.createRun(record('done', { state: 'completed', step: 10 }));

    // A new store stands for the next process; the claims of the old one are no longer alive.
    const restarted = new RunStore(runsDir);
    const interrupted = await restarted.markInterruptedRuns();
    expect(interrupted.sort()).toEqual(['was-queued', 'was-running']);

    const running = await restarted.readRecord('was-running');
    expect(running.state).toBe('interrupted');
    expect(running.step).toBe(7);
    expect(running.message).toMatch(/ended before it finished/);
    expect((await restarted.readRecord('done')).state).toBe('completed');
    const { events } = await restarted.readEvents('was-running');
    expect(events.at(-1)).toMatchObject({ type: 'status', state: 'interrupted', step: 7 });
    expect(events).toHaveLength(8);
    await restarted.close();
  });

  it('leaves alone the runs this store itself is running', async () => {
    await store.createRun(record('mine', { state: 'running' }));
    expect(await store.markInterruptedRuns()).toEqual([]);
    expect((await store.readRecord('mine')).state).toBe('running');
  });
});

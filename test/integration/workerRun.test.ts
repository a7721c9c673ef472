import { promises as fs } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import type { SinusoidConfig } from '../../core/contract/runConfig';
import { runEventSchema } from '../../core/contract/runEvent';
import { runRecordSchema } from '../../core/contract/workbenchApi';
import type { RunManager } from '../../electron/host/runManager';
import { TrainingWorker } from '../../electron/host/trainingWorker';
import type { WorkerToHostMessage } from '../../electron/worker/messages';
import {
  fakeWorkerUrl,
  sinusoidConfig,
  statusesOf,
  untilForwarded,
  useRunManagerHarness,
} from './fixtures/runManagerHarness';

const h = useRunManagerHarness('workbench-runs-');
let manager: RunManager;
const shortSinusoid = (overrides: Partial<SinusoidConfig> = {}) =>
  sinusoidConfig({ epochs: 30, predictiveDraws: 20, gridPoints: 100, evalEvery: 10, ...overrides });

describe('a real sinusoid run in the training worker', { timeout: 120_000 }, () => {
  it('streams ordered events and writes run.json and events.ndjson', async () => {
    manager = h.open();
    const queued = await manager.startRun({ config: shortSinusoid() });
    expect(queued.state).toBe('queued');
    const final = await manager.waitForRun(queued.id);

    expect(final.state).toBe('completed');
    expect(statusesOf(h.forwarded, queued.id)).toEqual(['queued', 'running', 'completed']);
    const running = h.forwarded.find((event) => event.type === 'status' && event.state === 'running');
    expect(running?.type === 'status' && running.backend?.name).toMatch(/^(tensorflow|wasm|cpu)$/);
    expect(h.forwarded.at(-1)).toMatchObject({ type: 'status', state: 'completed', step: 30 });

    // The stored history is complete (never coalesced), ordered, and every line is a valid event.
    const stored = await manager.getRunEvents(queued.id);
    const steps = stored.map((event) => event.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(stored.filter((event) => event.type === 'metrics').map((event) => event.step)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    expect(stored.filter((event) => event.type === 'regression').map((event) => event.step)).toEqual([10, 20, 30]);
    const regression = stored.find((event) => event.type === 'regression');
    expect(regression?.type === 'regression' && regression.grid).toHaveLength(100);

    const runDir = path.join(h.runsDir, queued.id);
    const lines = (await fs.readFile(path.join(runDir, 'events.ndjson'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(stored.length);
    for (const line of lines) expect(runEventSchema.safeParse(JSON.parse(line)).success).toBe(true);

    const record = runRecordSchema.parse(JSON.parse(await fs.readFile(path.join(runDir, 'run.json'), 'utf8')));
    expect(record).toMatchObject({ id: queued.id, state: 'completed', step: 30, totalSteps: 30 });
    expect(record.backend?.name).toBe(running?.type === 'status' ? running.backend?.name : undefined);
    expect(typeof record.summary?.stdRatio).toBe('number');
    expect(typeof record.summary?.rmseInside).toBe('number');
    expect(record.startedAt && record.finishedAt && record.startedAt <= record.finishedAt).toBe(true);
    expect(await fs.readdir(runDir)).not.toContain('owner.json');
    expect(h.warnings).toEqual([]);
  });

  it('runs from the esbuild bundle of the worker as well (tfjs kept external)', async () => {
    // Inside node_modules so the bundle resolves the external @tensorflow packages as the app does.
    const outfile = path.resolve('node_modules/.cache/workbench-test/worker.js');
    await build({
      entryPoints: ['electron/worker/worker.ts'],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      external: ['@tensorflow/*'],
      logLevel: 'silent',
    });
    manager = h.open(new URL(`file://${outfile}`));
    const queued = await manager.startRun({ config: shortSinusoid({ epochs: 5, evalEvery: 5, backend: 'cpu' }) });
    const final = await manager.waitForRun(queued.id);
    expect(final.message).toMatch(/^Completed 5 steps/);
    expect(final.backend).toEqual({ name: 'cpu', device: 'JavaScript (1 thread)', skipped: [] });
  });
});

describe('the run queue and the worker lifecycle (fake experiment)', { timeout: 30_000 }, () => {
  const fakeConfig = (seed: number, epochs = 20) => shortSinusoid({ seed, epochs });

  it('trains queued runs one at a time, in order', async () => {
    manager = h.open(fakeWorkerUrl);
    const first = await manager.startRun({ config: fakeConfig(0) });
    const second = await manager.startRun({ config: fakeConfig(0) });
    expect((await manager.getRun(second.id)).state).toBe('queued');
    await manager.waitForRun(second.id);
    const order = h.forwarded
      .filter((event) => event.type === 'status')
      .map((event) => `${event.runId === first.id ? 'first' : 'second'}:${event.type === 'status' ? event.state : ''}`);
    expect(order).toEqual([
      'first:queued',
      'second:queued',
      'first:running',
      'first:completed',
      'second:running',
      'second:completed',
    ]);
  });

  it('stops a training run and a queued run', async () => {
    manager = h.open(fakeWorkerUrl);
    const slow = await manager.startRun({ config: fakeConfig(1, 10_000) });
    const waiting = await manager.startRun({ config: fakeConfig(0) });
    await manager.stopRun(waiting.id);
    await untilForwarded(h, slow.id, (event) => event.type === 'progress');
    await manager.stopRun(slow.id);
    const final = await manager.waitForRun(slow.id);
    expect(final.state).toBe('stopped');
    expect(final.step).toBeGreaterThan(0);
    expect(final.step).toBeLessThan(10_000);
    expect(final.summary?.epochs).toBe(final.step);
    expect(await manager.getRun(waiting.id)).toMatchObject({
      state: 'stopped',
      message: 'Stopped before it started training.',
    });
    expect(statusesOf(h.forwarded, waiting.id)).toEqual(['queued', 'stopped']);
  });

  it('completes a run whose stop arrives after its last step, during the final evaluation', async () => {
    manager = h.open(fakeWorkerUrl);
    // Seed 2: the real training loop, whose evaluation after the last of its 5 steps takes 400 ms.
    const late = await manager.startRun({ config: fakeConfig(2, 5) });
    await untilForwarded(h, late.id, (event) => event.type === 'metrics' && event.step === 5);
    await manager.stopRun(late.id);
    const final = await manager.waitForRun(late.id);
    // Every step was trained and the final evaluation made: nothing is left to resume.
    expect(final).toMatchObject({ state: 'completed', step: 5, message: expect.stringMatching(/^Completed 5 steps/) });
    expect(statusesOf(h.forwarded, late.id)).toEqual(['queued', 'running', 'completed']);

    // A stop before the last step still stops.
    const early = await manager.startRun({ config: fakeConfig(2, 10_000) });
    await untilForwarded(h, early.id, (event) => event.type === 'metrics');
    await manager.stopRun(early.id);
    const stopped = await manager.waitForRun(early.id);
    expect(stopped.state).toBe('stopped');
    expect(stopped.step).toBeLessThan(10_000);
  });

  it('fails the run of a crashed worker with a clear message and trains the queue on a new worker', async () => {
    manager = h.open(fakeWorkerUrl);
    const doomed = await manager.startRun({ config: fakeConfig(666) });
    const next = await manager.startRun({ config: fakeConfig(0) });
    const failed = await manager.waitForRun(doomed.id);
    expect(failed.state).toBe('failed');
    expect(failed.message).toMatch(
      /^The training worker stopped unexpectedly \(exit code 1\): simulated crash of the training thread\.$/,
    );
    expect(statusesOf(await manager.getRunEvents(doomed.id), doomed.id)).toEqual(['queued', 'running', 'failed']);
    expect((await manager.waitForRun(next.id)).state).toBe('completed');
  });

  it('replaces a worker whose wasm instance aborted: the run fails with the reason, later runs train on a fresh worker', async () => {
    manager = h.open(fakeWorkerUrl);
    const before = await manager.startRun({ config: fakeConfig(0) });
    const firstThread = (await manager.waitForRun(before.id)).summary?.threadId;
    const poisoned = await manager.startRun({ config: fakeConfig(667) });
    const next = await manager.startRun({ config: fakeConfig(0) });
    const failed = await manager.waitForRun(poisoned.id);
    expect(failed.state).toBe('failed');
    expect(failed.message).toBe(
      `The training worker stopped unexpectedly (exit code 1): Run "${poisoned.id}" failed at step 1: the wasm backend aborted (memory access out of bounds); ` +
        'its memory cannot be trusted after that, so a fresh training worker takes the queue.',
    );
    const after = await manager.waitForRun(next.id);
    expect(after.state).toBe('completed');
    expect(typeof firstThread).toBe('number');
    expect(after.summary?.threadId).not.toBe(firstThread);
  });

  it('refuses a configuration over the memory or event budget before queueing it, with the number and the limit', async () => {
    manager = h.open(fakeWorkerUrl);
    await expect(
      manager.startRun({ config: sinusoidConfig({ hiddenUnits: Array(8).fill(1024), samplesPerStep: 256 }) }),
    ).rejects.toThrow(
      /^This configuration needs about [\d.]+ GB of memory for one training step \(hidden units 8×1024, 256 samples per step\); the workbench allows 2 GB\. Lower samplesPerStep or hiddenUnits\.$/,
    );
    await expect(
      manager.startRun({ config: sinusoidConfig({ gridPoints: 10_000, predictiveDraws: 2, evalEvery: 1 }) }),
    ).rejects.toThrow(
      /^This configuration writes about \d+ kB of events per training step \(a 10000-point predictive band every 1 epoch\); the workbench allows 64 kB per step\. Raise evalEvery or lower gridPoints\.$/,
    );
    expect(await fs.readdir(h.runsDir)).toEqual([]);
  });

  it('refuses an over-budget configuration in the worker too, whoever sent it', async () => {
    const messages: WorkerToHostMessage[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const worker: TrainingWorker = new TrainingWorker(fakeWorkerUrl, {
        message: (message) => {
          messages.push(message);
          if (message.type === 'done') void worker.terminate().then(resolve);
        },
        exit: (reason) => reject(new Error(reason)),
      });
      worker.send({
        type: 'start',
        runId: 'over-budget',
        config: sinusoidConfig({ hiddenUnits: Array(8).fill(1024), samplesPerStep: 256 }),
      });
    });
    await done.catch(() => undefined); // terminate() after done fires `exit` too
    const end = messages.find((message) => message.type === 'done');
    expect(end).toMatchObject({
      type: 'done',
      state: 'failed',
      message: expect.stringMatching(
        /^Run "over-budget" failed at step 0: This configuration needs about [\d.]+ GB of memory for one training step/,
      ),
    });
  });

  it('rejects an invalid configuration before creating anything', async () => {
    manager = h.open(fakeWorkerUrl);
    await expect(manager.startRun({ config: { ...fakeConfig(0), epochs: 0 } })).rejects.toThrow(
      /The run configuration is not valid: epochs:/,
    );
    expect(await fs.readdir(h.runsDir)).toEqual([]);
  });
});

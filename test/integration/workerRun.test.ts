import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { experiments } from '../../core/experiments/index';
import { sinusoidConfigSchema, type SinusoidConfig } from '../../core/contract/runConfig';
import type { RunEvent } from '../../core/contract/runEvent';
import { runEventSchema } from '../../core/contract/runEvent';
import { runRecordSchema } from '../../core/contract/workbenchApi';
import { RunManager } from '../../electron/host/runManager';
import { RunStore } from '../../electron/host/runStore';

const fakeWorkerUrl = new URL('./fixtures/fakeExperimentWorker.ts', import.meta.url);

function shortSinusoid(overrides: Partial<SinusoidConfig> = {}): SinusoidConfig {
  const preset = experiments.sinusoid.presets.find((candidate) => candidate.name === 'default')!;
  return sinusoidConfigSchema.parse({ ...preset.config, epochs: 30, predictiveDraws: 20, gridPoints: 100, evalEvery: 10, ...overrides });
}

let runsDir: string;
let manager: RunManager;
let forwarded: RunEvent[];
let warnings: string[];

function openManager(workerUrl?: URL): RunManager {
  const created = new RunManager({
    store: new RunStore(runsDir, { flushIntervalMs: 50 }),
    totalSteps: (config) => (config.experiment === 'sinusoid' ? config.epochs : config.steps),
    workerUrl,
    warn: (message) => warnings.push(message),
  });
  created.subscribe((event) => forwarded.push(event));
  return created;
}

beforeEach(async () => {
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-runs-'));
  forwarded = [];
  warnings = [];
});

afterEach(async () => {
  await manager?.close(1000);
  await fs.rm(runsDir, { recursive: true, force: true });
});

function statesOf(events: RunEvent[], runId: string): string[] {
  return events.filter((event) => event.runId === runId && event.type === 'status').map((event) => (event.type === 'status' ? event.state : ''));
}

describe('a real sinusoid run in the training worker', { timeout: 120_000 }, () => {
  it('streams ordered events and writes run.json and events.ndjson', async () => {
    manager = openManager();
    const queued = await manager.startRun({ config: shortSinusoid() });
    expect(queued.state).toBe('queued');
    const final = await manager.waitForRun(queued.id);

    expect(final.state).toBe('completed');
    expect(statesOf(forwarded, queued.id)).toEqual(['queued', 'running', 'completed']);
    const running = forwarded.find((event) => event.type === 'status' && event.state === 'running');
    expect(running?.type === 'status' && running.backend?.name).toMatch(/^(tensorflow|wasm|cpu)$/);
    expect(forwarded.at(-1)).toMatchObject({ type: 'status', state: 'completed', step: 30 });

    // The stored history is complete (never coalesced), ordered, and every line is a valid event.
    const stored = await manager.getRunEvents(queued.id);
    const steps = stored.map((event) => event.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(stored.filter((event) => event.type === 'metrics').map((event) => event.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(stored.filter((event) => event.type === 'regression').map((event) => event.step)).toEqual([10, 20, 30]);
    const regression = stored.find((event) => event.type === 'regression');
    expect(regression?.type === 'regression' && regression.grid).toHaveLength(100);

    const runDir = path.join(runsDir, queued.id);
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
    expect(warnings).toEqual([]);
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
    manager = openManager(new URL(`file://${outfile}`));
    const queued = await manager.startRun({ config: shortSinusoid({ epochs: 5, evalEvery: 5, backend: 'cpu' }) });
    const final = await manager.waitForRun(queued.id);
    expect(final.message).toMatch(/^Completed 5 steps/);
    expect(final.backend).toEqual({ name: 'cpu', device: 'JavaScript (1 thread)', skipped: [] });
  });
});

describe('the run queue and the worker lifecycle (fake experiment)', { timeout: 30_000 }, () => {
  const fakeConfig = (seed: number, epochs = 20) => shortSinusoid({ seed, epochs });

  it('trains queued runs one at a time, in order', async () => {
    manager = openManager(fakeWorkerUrl);
    const first = await manager.startRun({ config: fakeConfig(0) });
    const second = await manager.startRun({ config: fakeConfig(0) });
    expect((await manager.getRun(second.id)).state).toBe('queued');
    await manager.waitForRun(second.id);
    const order = forwarded
      .filter((event) => event.type === 'status')
      .map((event) => `${event.runId === first.id ? 'first' : 'second'}:${event.type === 'status' ? event.state : ''}`);
    expect(order).toEqual(['first:queued', 'second:queued', 'first:running', 'first:completed', 'second:running', 'second:completed']);
  });

  it('stops a training run and a queued run', async () => {
    manager = openManager(fakeWorkerUrl);
    const slow = await manager.startRun({ config: fakeConfig(1, 10_000) });
    const waiting = await manager.startRun({ config: fakeConfig(0) });
    await manager.stopRun(waiting.id);
    while (!forwarded.some((event) => event.runId === slow.id && event.type === 'progress')) await new Promise((resolve) => setTimeout(resolve, 10));
    await manager.stopRun(slow.id);
    const final = await manager.waitForRun(slow.id);
    expect(final.state).toBe('stopped');
    expect(final.step).toBeGreaterThan(0);
    expect(final.step).toBeLessThan(10_000);
    expect(final.summary?.epochs).toBe(final.step);
    expect(await manager.getRun(waiting.id)).toMatchObject({ state: 'stopped', message: 'Stopped before it started training.' });
    expect(statesOf(forwarded, waiting.id)).toEqual(['queued', 'stopped']);
  });

  it('fails the run of a crashed worker with a clear message and trains the queue on a new worker', async () => {
    manager = openManager(fakeWorkerUrl);
    const doomed = await manager.startRun({ config: fakeConfig(666) });
    const next = await manager.startRun({ config: fakeConfig(0) });
    const failed = await manager.waitForRun(doomed.id);
    expect(failed.state).toBe('failed');
    expect(failed.message).toMatch(/^The training worker stopped unexpectedly \(exit code 1\): simulated crash of the training thread\.$/);
    expect(statesOf(await manager.getRunEvents(doomed.id), doomed.id)).toEqual(['queued', 'running', 'failed']);
    expect((await manager.waitForRun(next.id)).state).toBe('completed');
  });

  it('rejects an invalid configuration before creating anything', async () => {
    manager = openManager(fakeWorkerUrl);
    await expect(manager.startRun({ config: { ...fakeConfig(0), epochs: 0 } })).rejects.toThrow(/The run configuration is not valid: epochs:/);
    expect(await fs.readdir(runsDir)).toEqual([]);
  });
});

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SinusoidConfig } from '../../core/contract/runConfig';
import { runEventSchema, type RunEvent } from '../../core/contract/runEvent';
import type { RunManager } from '../../electron/host/runManager';
import { fakeWorkerUrl, sinusoidConfig, statusesOf, useRunManagerHarness } from './fixtures/runManagerHarness';

const h = useRunManagerHarness('workbench-manage-');
let manager: RunManager;
const sinusoid = (overrides: Partial<SinusoidConfig> = {}) =>
  sinusoidConfig({ epochs: 200, predictiveDraws: 10, gridPoints: 50, evalEvery: 50, backend: 'cpu', ...overrides });

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const metricSteps = (events: RunEvent[]) =>
  events.filter((event) => event.type === 'metrics').map((event) => event.step);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const lastStep = (runId: string) =>
  Math.max(0, ...h.forwarded.filter((event) => event.runId === runId).map((event) => event.step));

describe('run management through the real training worker', { timeout: 120_000 }, () => {
  it('pauses a training run between two steps and resumes it', async () => {
    manager = h.open();
    const run = await manager.startRun({ config: sinusoid({ epochs: 600, evalEvery: 100 }) });
    await until(() => lastStep(run.id) >= 20, 'some training');
    await manager.pauseRun(run.id);
    await until(async () => (await manager.getRun(run.id)).state === 'paused', 'the paused state');
    const paused = h.forwarded.find((event) => event.type === 'status' && event.state === 'paused')!;
    expect(paused.step).toBeGreaterThanOrEqual(20);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(lastStep(run.id)).toBe(paused.step); // nothing trains while paused
    expect(JSON.parse(await fs.readFile(path.join(h.runsDir, run.id, 'run.json'), 'utf8')).state).toBe('paused');

    expect((await manager.resumeRun(run.id)).id).toBe(run.id);
    const final = await manager.waitForRun(run.id);
    expect(final).toMatchObject({ state: 'completed', step: 600 });
    expect(statusesOf(h.forwarded, run.id)).toEqual(['queued', 'running', 'paused', 'running', 'completed']);
    const resumed = h.forwarded.filter((event) => event.type === 'status' && event.state === 'running')[1];
    expect(resumed).toMatchObject({ step: paused.step, message: `Resumed at step ${paused.step}.` });
    expect(metricSteps(await manager.getRunEvents(run.id))).toEqual(range(1, 600));
  });

  it('resumes a stopped run from its checkpoint: the step count continues and events append to the same log', async () => {
    manager = h.open();
    const run = await manager.startRun({ config: sinusoid({ epochs: 400 }) });
    await until(() => lastStep(run.id) >= 120, 'step 120');
    await manager.stopRun(run.id);
    const stopped = await manager.waitForRun(run.id);
    expect(stopped.state).toBe('stopped');
    expect(stopped.checkpointStep).toBe(stopped.step); // a stop is checkpointed
    const logFile = path.join(h.runsDir, run.id, 'events.ndjson');
    const linesBefore = (await fs.readFile(logFile, 'utf8')).trimEnd().split('\n');

    const queued = await manager.resumeRun(run.id);
    expect(queued).toMatchObject({
      id: run.id,
      state: 'queued',
      step: stopped.step,
      message: `Queued to resume from the checkpoint at step ${stopped.step}.`,
    });
    expect((await manager.resumeRun(run.id)).id).toBe(run.id); // resuming a run that trains changes nothing
    const final = await manager.waitForRun(run.id);
    expect(final).toMatchObject({ state: 'completed', step: 400, checkpointStep: 400, startedAt: stopped.startedAt });
    expect(typeof final.summary?.stdRatio).toBe('number');

    const lines = (await fs.readFile(logFile, 'utf8')).trimEnd().split('\n');
    expect(lines.slice(0, linesBefore.length)).toEqual(linesBefore); // appended, nothing rewritten
    const events = lines.map((line) => runEventSchema.parse(JSON.parse(line)));
    expect(statusesOf(events, run.id)).toEqual(['queued', 'running', 'stopped', 'queued', 'running', 'completed']);
    expect(events.find((event) => event.type === 'status' && event.resumedFromStep !== undefined)).toMatchObject({
      step: stopped.step,
      resumedFromStep: stopped.step,
    });
    const running = events.filter((event) => event.type === 'status' && event.state === 'running')[1];
    expect(running.type === 'status' && running.message).toMatch(
      new RegExp(`continuing from the checkpoint at step ${stopped.step}\\.$`),
    );
    expect(metricSteps(events)).toEqual(range(1, 400));
    expect(events.filter((event) => event.type === 'regression').map((event) => event.step)).toEqual([
      50, 100, 150, 200, 250, 300, 350, 400,
    ]);
    expect(await manager.resumeRun(run.id).catch((error: Error) => error.message)).toBe(
      `Run "${run.id}" has completed its 400 steps; there is nothing to resume.`,
    );
    expect(h.warnings).toEqual([]);
  });

  it('renames and tags runs, finished or training, and deletes only runs that are not training', async () => {
    manager = h.open();
    const run = await manager.startRun({ config: sinusoid({ epochs: 300 }) });
    await until(() => lastStep(run.id) >= 5, 'training to start');
    expect(await manager.renameRun(run.id, '  wide prior  ')).toMatchObject({ name: 'wide prior', state: 'running' });
    await expect(manager.deleteRun(run.id)).rejects.toThrow(`Run "${run.id}" is running; stop it before deleting it.`);
    const final = await manager.waitForRun(run.id);
    expect(final.name).toBe('wide prior');
    expect(await manager.setRunTags(run.id, ['baseline', ' cpu ', 'baseline'])).toMatchObject({
      tags: ['baseline', 'cpu'],
    });
    expect(await manager.renameRun(run.id, 'final')).toMatchObject({
      name: 'final',
      tags: ['baseline', 'cpu'],
      state: 'completed',
    });
    const onDisk = JSON.parse(await fs.readFile(path.join(h.runsDir, run.id, 'run.json'), 'utf8'));
    expect(onDisk).toMatchObject({ name: 'final', tags: ['baseline', 'cpu'], state: 'completed' });

    await manager.deleteRun(run.id);
    expect(await fs.readdir(h.runsDir)).toEqual([]);
    await expect(manager.getRun(run.id)).rejects.toThrow(`There is no run "${run.id}"`);
    expect((await manager.listRuns()).runs).toEqual([]);
  });

  it('fails a diverging run with its step and reason, and trains the next queued run', async () => {
    manager = h.open();
    // A known noise σ of 1e-30 makes the Gaussian NLL infinite at the first step.
    const diverging = await manager.startRun({ config: sinusoid({ noiseStd: 1e-30 }) });
    const next = await manager.startRun({ config: sinusoid({ epochs: 60 }) });
    const failed = await manager.waitForRun(diverging.id);
    expect(failed.state).toBe('failed');
    expect(failed.message).toMatch(
      new RegExp(`^Run "${diverging.id}" failed: Training diverged at step 1: the loss is (Infinity|NaN) `),
    );
    expect(failed.message).toMatch(/Lower the learning rate or the initial posterior scale and start again\.$/);
    expect(await manager.resumeRun(diverging.id).catch((error: Error) => error.message)).toMatch(
      /has no checkpoint to resume from \(it ended at step 0, before its first evaluation\)/,
    );
    expect(await manager.waitForRun(next.id)).toMatchObject({ state: 'completed', step: 60 });
  });
});

describe('run management edge cases (fake experiment)', { timeout: 30_000 }, () => {
  it('refuses to pause or resume what cannot be, with the reason', async () => {
    manager = h.open(fakeWorkerUrl);
    const run = await manager.startRun({ config: sinusoid({ epochs: 5 }) });
    const final = await manager.waitForRun(run.id);
    await expect(manager.pauseRun(run.id)).rejects.toThrow(
      `Run "${run.id}" is completed; only a training run can be paused.`,
    );
    await expect(manager.pauseRun('no-such-run')).rejects.toThrow('There is no run "no-such-run"');
    await expect(manager.resumeRun('no-such-run')).rejects.toThrow('There is no run "no-such-run"');
    expect(final.checkpointStep).toBeUndefined(); // the fake experiment takes no checkpoints

    const slow = await manager.startRun({ config: sinusoid({ seed: 1, epochs: 10_000 }) });
    const waiting = await manager.startRun({ config: sinusoid({ epochs: 5 }) });
    await expect(manager.pauseRun(waiting.id)).rejects.toThrow(
      `Run "${waiting.id}" is queued and has not started training; only a training run can be paused (stop it to take it off the queue).`,
    );
    await expect(manager.deleteRun(waiting.id)).rejects.toThrow(
      `Run "${waiting.id}" is queued; stop it before deleting it.`,
    );
    await manager.stopRun(waiting.id);
    await manager.stopRun(slow.id);
    expect((await manager.waitForRun(slow.id)).state).toBe('stopped');
    await expect(manager.resumeRun(slow.id)).rejects.toThrow(/has no checkpoint to resume from/);
  });

  it('trains one run at a time by default, and as many as `concurrency` allows (each on its own worker)', async () => {
    manager = h.open(fakeWorkerUrl, 2);
    const slow = () => manager.startRun({ config: sinusoid({ seed: 1, epochs: 10_000 }) });
    const [first, second, third] = [await slow(), await slow(), await slow()];
    await until(() => [first, second].every((run) => lastStep(run.id) > 0), 'two runs training at once');
    expect((await manager.getRun(third.id)).state).toBe('queued');
    for (const run of [third, second, first]) await manager.stopRun(run.id);
    for (const run of [first, second]) expect((await manager.waitForRun(run.id)).state).toBe('stopped');
    expect(() => h.open(fakeWorkerUrl, 0)).toThrow(
      'The training concurrency must be a whole number from 1 to 8, found 0.',
    );
  });
});

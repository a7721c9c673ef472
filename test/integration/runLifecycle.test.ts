/**
 * Issue #14 item 8 (resume and delete of one run racing: check-then-act happens in the run's queue)
 * and item 14 through the real worker (a checkpoint on the time budget, long before the first
 * evaluation).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { totalStepsOf } from '../../core/experiments/registry';
import { serializeCheckpoint } from '../../core/training/checkpoint';
import { RunManager } from '../../electron/host/runManager';
import { RunStore } from '../../electron/host/runStore';
import { fakeWorkerUrl, sinusoidConfig, useRunManagerHarness } from './fixtures/runManagerHarness';

const h = useRunManagerHarness('workbench-lifecycle-');

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A stopped run with a checkpoint (the fake experiment, seed 1: 20 ms a step until stopped). */
async function stoppedRunWithCheckpoint(manager: RunManager): Promise<string> {
  const run = await manager.startRun({ config: sinusoidConfig({ epochs: 1000, seed: 1 }) });
  await until(async () => (await manager.getRun(run.id)).state === 'running', 'the run to train');
  await manager.stopRun(run.id);
  expect((await manager.waitForRun(run.id)).state).toBe('stopped');
  const writer = new RunStore(h.runsDir);
  await writer.writeCheckpoint(
    run.id,
    serializeCheckpoint({
      experiment: 'sinusoid',
      step: 3,
      seedStreams: { train: 3 },
      batchesDrawn: 3,
      variables: [],
      optimizer: { kind: 'adam', iterations: 3, firstMoments: [], secondMoments: [] },
    }),
  );
  await writer.close();
  return run.id;
}

describe('resume and delete of one run (item 8)', () => {
  it('resumeRun then deleteRun within the same millisecond: the resume wins, the delete is refused, the folder stays', async () => {
    const manager = h.open(fakeWorkerUrl);
    const id = await stoppedRunWithCheckpoint(manager);
    const [resumed, deleted] = await Promise.allSettled([manager.resumeRun(id), manager.deleteRun(id)]);
    expect(resumed).toMatchObject({ status: 'fulfilled', value: { id, state: 'queued' } });
    expect(deleted).toMatchObject({
      status: 'rejected',
      reason: expect.objectContaining({ message: expect.stringMatching(/stop it before deleting it/) }),
    });
    await expect(fs.stat(path.join(h.runsDir, id, 'run.json'))).resolves.toBeTruthy();
    await until(async () => (await manager.getRun(id)).state === 'running', 'the resumed run to train');
    await manager.stopRun(id);
    expect((await manager.waitForRun(id)).state).toBe('stopped');
    expect(h.warnings).toEqual([]); // no write failed for a folder that was gone
  });

  it('deleteRun then resumeRun: the delete wins and the resume says there is no such run', async () => {
    const manager = h.open(fakeWorkerUrl);
    const id = await stoppedRunWithCheckpoint(manager);
    const [deleted, resumed] = await Promise.allSettled([manager.deleteRun(id), manager.resumeRun(id)]);
    expect(deleted.status).toBe('fulfilled');
    expect(resumed).toMatchObject({
      status: 'rejected',
      reason: expect.objectContaining({ message: expect.stringMatching(new RegExp(`There is no run "${id}"`)) }),
    });
    await expect(fs.stat(path.join(h.runsDir, id))).rejects.toThrow(/ENOENT/);
  });
});

describe('checkpoints on a time budget through the worker (item 14)', () => {
  it(
    'a run whose first evaluation is far away still gets a checkpoint within the interval',
    { timeout: 120_000 },
    async () => {
      const manager = new RunManager({
        store: new RunStore(h.runsDir, { flushIntervalMs: 50 }),
        totalSteps: totalStepsOf,
        checkpointIntervalMs: 200,
      });
      try {
        const run = await manager.startRun({
          config: sinusoidConfig({ epochs: 100_000, evalEvery: 100_000, gridPoints: 10, predictiveDraws: 2 }),
        });
        await until(
          async () => ((await manager.getRun(run.id)).checkpointStep ?? 0) > 0,
          'a checkpoint before the first evaluation',
        );
        const record = await manager.getRun(run.id);
        expect(record.state).toBe('running');
        expect(record.checkpointStep!).toBeLessThan(100_000);
        await manager.stopRun(run.id);
        await manager.waitForRun(run.id);
      } finally {
        await manager.close(1000);
      }
    },
  );
});

describe("the record asked for on a run's final status", () => {
  it(
    'a window refreshing on "stopped" gets the checkpoint of the stop (its Resume button needs it), not the one before',
    { timeout: 120_000 },
    async () => {
      // The real worker: its stop path checkpoints at the stop's step, and the store writes that
      // checkpoint after the worker's "stopped" status has already been forwarded.
      const manager = h.open();
      const asked: Promise<{ checkpointStep?: number; step: number; state: string }>[] = [];
      manager.subscribe((event) => {
        if (event.type === 'status' && event.state === 'stopped') asked.push(manager.getRun(event.runId));
      });
      const run = await manager.startRun({
        config: sinusoidConfig({ epochs: 100_000, evalEvery: 100_000, gridPoints: 10, predictiveDraws: 2 }),
      });
      await until(async () => (await manager.getRun(run.id)).step >= 3, 'a few steps');
      await manager.stopRun(run.id);
      const final = await manager.waitForRun(run.id);
      expect(final.state).toBe('stopped');
      expect(final.checkpointStep).toBe(final.step);
      expect(asked).toHaveLength(1);
      expect(await asked[0]).toMatchObject({ state: 'stopped', checkpointStep: final.step });
    },
  );
});

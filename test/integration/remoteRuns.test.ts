/**
 * Runs on the run queue, end to end on this machine: a real redis-server (password, AOF), the host
 * in this process, queue workers as `npm run worker` processes. A remote run's events.ndjson holds
 * exactly what its worker sent, once each and in order; a restart of redis-server mid-sweep and a
 * restart of the host mid-sweep lose and duplicate nothing, and the sweep finishes; pause, resume
 * and stop from the host reach the worker; a stopped or finished remote run is deleted (folder,
 * listing, Redis keys and job); remote runs compare exactly like a local one.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_NAME } from '../../electron/host/remote/queueKeys';
import type { RunEvent } from '../../core/contract/runEvent';
import { runRecordSchema, type RunRecord } from '../../core/contract/workbenchApi';
import { availableMetrics, comparisonCsv, seedGroups, type ComparisonRun } from '../../core/figures/comparison';
import { runDataFromEvents } from '../../core/figures/runData';
import { sinusoidConfig } from './fixtures/runManagerHarness';
import { openRemoteHarness, waitFor, workerSentOf, type RemoteHarness } from './fixtures/remoteHarness';
import type { QueueWorkerProcess } from '../fixtures/queueWorkerProcess';
import type { HostServices } from '../../electron/host/hostServices';

let h: RemoteHarness;
let workers: QueueWorkerProcess[];

beforeAll(async () => {
  h = await openRemoteHarness('workbench-remote-');
  workers = await Promise.all([h.startWorker('worker-a'), h.startWorker('worker-b')]);
}, 180_000);

const EPOCHS = 150;

/** A sweep of two sinusoid runs (two learning rates, one seed) on the run queue. */
function queueSweep(name: string, seed: number) {
  const config = sinusoidConfig({ epochs: EPOCHS, evalEvery: 50, gridPoints: 40, predictiveDraws: 8, seed });
  return { name, base: config, axes: { learningRate: [0.01, 0.03] }, seeds: [seed], runOn: 'queue' as const };
}

async function anyStepAtLeast(host: HostServices, ids: string[], step: number): Promise<boolean> {
  const records = await Promise.all(ids.map((id) => host.runManager.getRun(id)));
  return records.some((record) => record.step >= step);
}

/** The run's events.ndjson holds what its workers sent, once each and in order, and steps 1…epochs. */
async function expectStoredAsSent(runId: string, epochs = EPOCHS): Promise<void> {
  const sent = await waitFor(() => {
    const lines = h.workers.flatMap((process) => process.lines.filter((line) => line.runId === runId && line.sent));
    return lines.length > 0 ? lines.flatMap((line) => line.sent!) : undefined;
  }, `the worker's log of run ${runId}`);
  const stored = await h.storedEvents(runId);
  expect(workerSentOf(stored)).toEqual(sent);
  expect(stored.filter((event) => event.type === 'metrics').map((event) => event.step)).toEqual(
    Array.from({ length: epochs }, (_, index) => index + 1),
  );
  expect(sent.length).toBeGreaterThan(epochs);
}

afterAll(async () => {
  await h?.close();
});

describe('a run on the queue', () => {
  it('completes on a queue worker with every event stored once and in order', { timeout: 600_000 }, async () => {
    const host = await h.openHost();
    const { runManager } = host;
    const started = await runManager.startRun({
      config: sinusoidConfig({ epochs: 100, evalEvery: 50, gridPoints: 40, predictiveDraws: 8, seed: 3 }),
      runOn: 'queue',
    });
    expect(started.runOn).toBe('queue');
    const final = await runManager.waitForRun(started.id);
    expect(final.state).toBe('completed');
    expect(final.worker).toMatch(/^worker-[ab]$/);
    expect(final.backend?.name).toMatch(/\w+/);
    expect(final.summary).toBeDefined();
    await expectStoredAsSent(started.id, 100);
    await runManager.close();
  });

  it(
    'loses nothing when redis-server restarts mid-sweep (AOF), and the sweep finishes',
    { timeout: 600_000 },
    async () => {
      const host = await h.openHost();
      const started = await host.sweeps.startSweep(queueSweep('redis restart', 4));
      const ids = started.sweep.runIds;
      await waitFor(
        async () => ((await anyStepAtLeast(host, ids, 30)) ? true : undefined),
        'a run of the sweep at step 30',
      );
      await h.redis.restart(1500);
      const finals = await Promise.all(ids.map((id) => host.runManager.waitForRun(id)));
      expect(finals.map((record) => record.state)).toEqual(['completed', 'completed']);
      expect((await host.sweeps.getSweep(started.sweep.id)).counts).toMatchObject({ done: 2, failed: 0 });
      for (const id of ids) await expectStoredAsSent(id);
      await host.runManager.close();
    },
  );

  it(
    're-attaches to the runs of a sweep after a host restart, and stores every event once',
    { timeout: 600_000 },
    async () => {
      const first = await h.openHost();
      const started = await first.sweeps.startSweep(queueSweep('host restart', 5));
      const ids = started.sweep.runIds;
      await waitFor(
        async () => ((await anyStepAtLeast(first, ids, 30)) ? true : undefined),
        'a run of the sweep at step 30 before the host restart',
      );
      await first.runManager.close(); // the host goes; the workers train on
      const second = await h.openHost();
      const attached = await Promise.all(ids.map((id) => second.runManager.getRun(id)));
      expect(attached.every((record) => ['queued', 'running', 'completed'].includes(record.state))).toBe(true);
      const finals = await Promise.all(ids.map((id) => second.runManager.waitForRun(id)));
      expect(finals.map((record) => record.state)).toEqual(['completed', 'completed']);
      expect((await second.sweeps.getSweep(started.sweep.id)).counts).toMatchObject({ done: 2, failed: 0 });
      for (const id of ids) await expectStoredAsSent(id);
      await second.runManager.close();
      // The same workers trained through both hosts.
      expect(workers.every((worker) => worker.child.exitCode === null)).toBe(true);
    },
  );

  it('is paused, resumed and stopped from the host on its queue worker', { timeout: 300_000 }, async () => {
    const host = await h.openHost();
    const { runManager } = host;
    const started = await runManager.startRun({
      config: sinusoidConfig({ epochs: 20000, evalEvery: 10000, gridPoints: 40, predictiveDraws: 8, seed: 6 }),
      runOn: 'queue',
    });
    const state = async (want: string) =>
      waitFor(async () => {
        const record = await runManager.getRun(started.id);
        return record.state === want ? record : undefined;
      }, `the run to be ${want}`);
    await state('running');
    await runManager.pauseRun(started.id);
    const paused = await state('paused');
    // Held on the worker: no step is trained while paused.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await runManager.getRun(started.id)).step).toBe(paused.step);
    await runManager.resumeRun(started.id);
    await waitFor(async () => {
      const record = await runManager.getRun(started.id);
      return record.state === 'running' && record.step > paused.step ? true : undefined;
    }, 'training to go on after resume');
    await runManager.stopRun(started.id);
    const final = await runManager.waitForRun(started.id);
    expect(final.state).toBe('stopped');
    expect(final.step).toBeLessThan(20000);
    await runManager.close();
  });

  it(
    'is deleted from the workbench once stopped or finished: its folder, its listing and its Redis keys are gone',
    { timeout: 300_000 },
    async () => {
      const { runManager } = await h.openHost();
      const stopped = await runManager.startRun({
        config: sinusoidConfig({ epochs: 20000, evalEvery: 10000, gridPoints: 20, seed: 7 }),
        runOn: 'queue',
      });
      const finished = await runManager.startRun({
        config: sinusoidConfig({ epochs: 30, evalEvery: 30, gridPoints: 20, seed: 8 }),
        runOn: 'queue',
      });
      await waitFor(async () => ((await runManager.getRun(stopped.id)).step >= 5 ? true : undefined), 'training');
      // A run still on its worker cannot be deleted: it is stopped first.
      await expect(runManager.deleteRun(stopped.id)).rejects.toThrow(/stop it before deleting it/);
      await runManager.stopRun(stopped.id);
      expect((await runManager.waitForRun(stopped.id)).state).toBe('stopped');
      expect((await runManager.waitForRun(finished.id)).state).toBe('completed');
      const redis = new Redis(h.redis.url);
      const keysOf = async (id: string) => [
        ...(await redis.keys(`bw:run:${id}:*`)),
        ...(await redis.keys(`bull:${DEFAULT_QUEUE_NAME}:${id}*`)),
      ];
      for (const run of [stopped, finished]) {
        await runManager.deleteRun(run.id);
        await expect(fs.access(path.join(h.runsDir, run.id))).rejects.toThrow(/ENOENT/);
        await expect(runManager.getRun(run.id)).rejects.toThrow();
        expect((await runManager.listRuns()).runs.map((record) => record.id)).not.toContain(run.id);
        // Its stream, control, attempt and checkpoint keys and its BullMQ job are gone from Redis.
        expect(
          await waitFor(async () => ((await keysOf(run.id)).length === 0 ? [] : undefined), 'the keys to go', 30_000),
        ).toEqual([]);
      }
      redis.disconnect();
      await runManager.close();
    },
  );

  it(
    'is compared like a local run: the same record fields, events and comparison series',
    { timeout: 300_000 },
    async () => {
      const { runManager, api } = await h.openHost();
      const config = (seed: number) => sinusoidConfig({ epochs: 40, evalEvery: 20, gridPoints: 20, seed });
      const remotes = await Promise.all(
        [21, 22].map((seed) => runManager.startRun({ config: config(seed), runOn: 'queue' })),
      );
      const local = await runManager.startRun({ config: config(21) });
      const ids = [...remotes.map((run) => run.id), local.id];
      for (const id of ids) expect((await runManager.waitForRun(id)).state).toBe('completed');
      // What the compare view loads, through the same API the renderer calls.
      const listed = (await api.call('listRuns', [])) as RunRecord[];
      const records = ids.map((id) => runRecordSchema.parse(listed.find((record) => record.id === id)));
      const fetched = await Promise.all(ids.map((id) => api.call('getRun', [id])));
      expect(fetched.map((record) => runRecordSchema.parse(record))).toEqual(records);
      const [remoteA, remoteB, localRecord] = records;
      // A remote record has every field a local one has, plus where it ran (runOn, worker).
      for (const remote of [remoteA, remoteB]) {
        expect(
          Object.keys(remote)
            .filter((key) => !(key in localRecord))
            .sort(),
        ).toEqual(['runOn', 'worker']);
        expect(Object.keys(localRecord).filter((key) => !(key in remote))).toEqual([]);
        expect(remote).toMatchObject({ runOn: 'queue', state: 'completed', step: 40 });
        expect(Object.keys(remote.summary ?? {}).sort()).toEqual(Object.keys(localRecord.summary ?? {}).sort());
      }
      const histories = (await Promise.all(ids.map((id) => api.call('getRunEvents', [id])))) as RunEvent[][];
      const shape = (events: RunEvent[]) =>
        events
          .filter((event) => event.type !== 'status' && event.type !== 'progress') // status says where it ran; progress is timed
          .map((event) => `${event.type}:${event.step}`);
      const types = (events: RunEvent[]) => [...new Set(events.map((event) => event.type))].sort();
      expect(types(histories[0])).toEqual(types(histories[2]));
      expect(types(histories[1])).toEqual(types(histories[2]));
      expect(shape(histories[0])).toEqual(shape(histories[2]));
      expect(shape(histories[1])).toEqual(shape(histories[2]));
      const runs: ComparisonRun[] = records.map((record, index) => ({
        id: record.id,
        name: record.name,
        config: record.config,
        tags: record.tags,
        backend: record.backend,
        summary: record.summary,
        data: runDataFromEvents(histories[index]),
      }));
      const metricKeys = (of: ComparisonRun[]) => availableMetrics(of).map((metric) => metric.key);
      expect(metricKeys(runs.slice(0, 2))).toEqual(metricKeys(runs.slice(2)));
      expect(metricKeys(runs).length).toBeGreaterThan(1);
      for (const metric of availableMetrics(runs)) {
        const steps = runs.map((run) => metric.points(run.data).map((point) => point.x));
        expect(steps[0].length, metric.key).toBeGreaterThan(0);
        expect(steps[0], metric.key).toEqual(steps[2]);
        expect(steps[1], metric.key).toEqual(steps[2]);
      }
      // Seeds of one configuration group together whether trained here or on a queue worker.
      expect(seedGroups(runs, 'config').map((group) => group.runs.map((run) => run.id))).toEqual([ids]);
      const csvRows = comparisonCsv(runs).trimEnd().split('\n').slice(1);
      const rowsOf = (id: string) => csvRows.filter((row) => row.startsWith(`${id},`)).length;
      expect(rowsOf(ids[0])).toBe(rowsOf(ids[2]));
      expect(rowsOf(ids[1])).toBe(rowsOf(ids[2]));
      expect(rowsOf(ids[2])).toBeGreaterThanOrEqual(40);
      await runManager.close();
    },
  );
});

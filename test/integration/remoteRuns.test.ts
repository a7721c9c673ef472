/**
 * Runs on the run queue, end to end on this machine: a real redis-server (password, AOF), the host
 * in this process, queue workers as `npm run worker` processes. A remote run's events.ndjson holds
 * exactly what its worker sent, once each and in order; a restart of redis-server mid-run and a
 * restart of the host mid-run lose and duplicate nothing, and the run finishes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sinusoidConfig } from './fixtures/runManagerHarness';
import { openRemoteHarness, waitFor, workerSentOf, type RemoteHarness } from './fixtures/remoteHarness';
import type { QueueWorkerProcess } from '../fixtures/queueWorkerProcess';

let h: RemoteHarness;
let worker: QueueWorkerProcess;

beforeAll(async () => {
  h = await openRemoteHarness('workbench-remote-');
  worker = await h.startWorker('worker-a');
}, 180_000);

afterAll(async () => {
  await h?.close();
});

/** What the worker said it sent for `runId`, over all its attempts. */
function sentBy(runId: string): string[] {
  return h.workers
    .flatMap((process) => process.lines.filter((line) => line.runId === runId && line.sent))
    .flatMap((line) => line.sent!);
}

describe('a run on the queue', () => {
  it('completes on a queue worker with every event stored once and in order', { timeout: 900_000 }, async () => {
    const host = await h.openHost();
    const { runManager } = host;
    const started = await runManager.startRun({
      config: sinusoidConfig({ epochs: 100, evalEvery: 50, gridPoints: 40, predictiveDraws: 8, seed: 3 }),
      runOn: 'queue',
    });
    expect(started.runOn).toBe('queue');
    const final = await runManager.waitForRun(started.id);
    expect(final.state).toBe('completed');
    expect(final.worker).toBe('worker-a');
    expect(final.backend?.name).toMatch(/\w+/);
    expect(final.summary).toBeDefined();
    const stored = await h.storedEvents(started.id);
    const sent = sentBy(started.id);
    expect(sent.length).toBeGreaterThan(100);
    expect(workerSentOf(stored)).toEqual(sent);
    // The metrics steps run 1…150 once each.
    const metricSteps = stored.filter((event) => event.type === 'metrics').map((event) => event.step);
    expect(metricSteps).toEqual(Array.from({ length: metricSteps.length }, (_, index) => metricSteps[0] + index));
    expect(metricSteps.at(-1)).toBe(100);
    await runManager.close();
  });

  it('loses nothing when redis-server restarts mid-run (AOF), and the run finishes', { timeout: 900_000 }, async () => {
    const host = await h.openHost();
    const { runManager } = host;
    const started = await runManager.startRun({
      config: sinusoidConfig({ epochs: 200, evalEvery: 100, gridPoints: 40, predictiveDraws: 8, seed: 4 }),
      runOn: 'queue',
    });
    await waitFor(async () => ((await runManager.getRun(started.id)).step >= 30 ? true : undefined), 'step 30');
    await h.redis.restart(1500);
    const final = await runManager.waitForRun(started.id);
    expect(final.state).toBe('completed');
    const stored = await h.storedEvents(started.id);
    expect(workerSentOf(stored)).toEqual(sentBy(started.id));
    expect(stored.filter((event) => event.type === 'metrics').map((event) => event.step)).toEqual(
      Array.from({ length: 200 }, (_, index) => index + 1),
    );
    await runManager.close();
  });

  it(
    're-attaches to its remote run after a host restart, and stores every event once',
    { timeout: 900_000 },
    async () => {
      const first = await h.openHost();
      const started = await first.runManager.startRun({
        config: sinusoidConfig({ epochs: 200, evalEvery: 100, gridPoints: 40, predictiveDraws: 8, seed: 5 }),
        runOn: 'queue',
      });
      await waitFor(
        async () => ((await first.runManager.getRun(started.id)).step >= 30 ? true : undefined),
        'step 30 before the host restart',
      );
      await first.runManager.close(); // the host goes; the worker trains on
      const second = await h.openHost();
      const attached = await second.runManager.getRun(started.id);
      expect(['queued', 'running']).toContain(attached.state);
      const final = await second.runManager.waitForRun(started.id);
      expect(final.state).toBe('completed');
      const stored = await h.storedEvents(started.id);
      expect(workerSentOf(stored)).toEqual(sentBy(started.id));
      expect(stored.filter((event) => event.type === 'metrics').map((event) => event.step)).toEqual(
        Array.from({ length: 200 }, (_, index) => index + 1),
      );
      await second.runManager.close();
      expect(worker.child.exitCode).toBeNull(); // the same worker trained through both hosts
    },
  );
});

/**
 * The run queue when things go wrong, with a real redis-server and real `npm run worker` processes:
 * a worker killed with SIGKILL mid-LeNet5-run (its run goes on on another worker from the checkpoint the
 * host stored, the step count continuing, no gap and no duplicate in the timeline); a run whose
 * workers are killed on each attempt (failed for good with BullMQ's reason, its job removed on
 * delete, the next run unaffected); a wrong
 * password and an unreachable Redis (clear messages, local runs unaffected); a malformed job and a
 * malformed stream entry (each fails only itself, with the reason).
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lenet5ConfigSchema } from '../../core/experiments/lenet5/config';
import { currentTimeline } from '../../core/contract/runTimeline';
import { DEFAULT_QUEUE_NAME, runKeys } from '../../electron/host/remote/queueKeys';
import { parseQueueUrl, probeRedis } from '../../electron/host/remote/redisConnection';
import { sinusoidConfig } from './fixtures/runManagerHarness';
import {
  entryEvents,
  openRemoteHarness,
  timelineMetricSteps,
  waitFor,
  workerSentOf,
  type RemoteHarness,
  type WatchedEntry,
} from './fixtures/remoteHarness';
import { freePort } from '../fixtures/redisServer';
import { startQueueWorkerProcess } from '../fixtures/queueWorkerProcess';

let h: RemoteHarness;

beforeAll(async () => {
  h = await openRemoteHarness('workbench-remote-faults-');
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const wrongPasswordUrl = () => `redis://:not-the-password@127.0.0.1:${h.redis.port}`;

describe('a queue worker killed mid-run', () => {
  it(
    'lets another worker finish the run from the last stored checkpoint, with no gap or duplicate in its timeline',
    { timeout: 600_000 },
    async () => {
      // Short locks (documented worker options), so the stalled-job check notices a dead worker within seconds.
      const fast = ['--lock-ms', '8000', '--stalled-interval-ms', '1000'];
      const first = await h.startWorker('worker-1', fast);
      const { runManager } = await h.openHost();
      const STEPS = 60;
      const config = lenet5ConfigSchema.parse({
        experiment: 'lenet5',
        steps: STEPS,
        batchSize: 8,
        evalEvery: 10,
        evalDraws: 2,
        evalImages: 20,
        seed: 2,
      });
      const started = await runManager.startRun({ config, runOn: 'queue' });
      // Event-driven: the test reads the run's stream as worker-1 writes it and freezes worker-1
      // (SIGSTOP: not one more entry) as soon as it has sent a checkpoint and 3 steps past it.
      const watch = h.watchStream(started.id);
      const metricSteps = (entries: WatchedEntry[]) =>
        entries.flatMap((entry) =>
          entry.body.kind === 'event' && entry.body.event.type === 'metrics' ? [entry.body.event.step] : [],
        );
      const checkpointSteps = (entries: WatchedEntry[]) =>
        entries.flatMap((entry) => (entry.body.kind === 'checkpoint' ? [entry.body.checkpoint.manifest.step] : []));
      await watch.until((entries) => {
        const checkpoints = checkpointSteps(entries);
        return checkpoints.length > 0 && Math.max(0, ...metricSteps(entries)) >= Math.max(...checkpoints) + 3;
      }, 'a checkpoint and 3 steps past it');
      first.child.kill('SIGSTOP');
      await first.kill('SIGKILL');
      const byFirst = await watch.stop();
      expect(byFirst.every((entry) => entry.attempt === 1)).toBe(true);
      expect(byFirst.some((entry) => entry.body.kind === 'done')).toBe(false); // it died mid-run
      const lastCheckpoint = Math.max(...checkpointSteps(byFirst));
      const lastStep = Math.max(...metricSteps(byFirst));
      expect(lastStep).toBeGreaterThanOrEqual(lastCheckpoint + 3);
      expect(lastStep).toBeLessThan(STEPS);
      // The host stores everything worker-1 sent, its last checkpoint included, before anyone takes over.
      await waitFor(
        async () => ((await runManager.getRun(started.id)).checkpointStep === lastCheckpoint ? true : undefined),
        `the host to store the checkpoint at step ${lastCheckpoint}`,
      );
      const second = await h.startWorker('worker-2', fast);
      const final = await runManager.waitForRun(started.id);
      expect(final.state).toBe('completed');
      expect(final.worker).toBe('worker-2');
      expect(final.step).toBe(STEPS);
      const stored = await h.storedEvents(started.id);
      const takeover = stored.find((event) => event.type === 'status' && event.resumedFromStep !== undefined);
      expect(takeover).toMatchObject({ state: 'queued', resumedFromStep: lastCheckpoint });
      expect(takeover?.type === 'status' && takeover.message).toMatch(
        /"worker-1" stopped answering; "worker-2" continues from the checkpoint at step \d+ \(attempt 2\)/,
      );
      // worker-2 continued the step count from the checkpoint.
      const bySecond = await waitFor(
        () => second.lines.find((line) => line.runId === started.id && line.sent)?.sent,
        "worker-2's log of the run",
      );
      expect(bySecond.find((entry) => entry.startsWith('metrics:'))).toBe(`metrics:${lastCheckpoint + 1}`);
      // Stored: exactly what worker-1 sent up to its death, then what worker-2 sent, each once.
      expect(workerSentOf(stored)).toEqual([...entryEvents(byFirst), ...bySecond]);
      // The timeline: steps 1…60 once each; what worker-1 trained past the checkpoint is superseded.
      expect(timelineMetricSteps(stored)).toEqual(Array.from({ length: STEPS }, (_, index) => index + 1));
      expect(
        currentTimeline(stored)
          .filter((event) => event.type === 'heldout')
          .map((event) => event.step),
      ).toEqual([10, 20, 30, 40, 50, 60]);
      await runManager.close();
      await second.kill('SIGTERM');
    },
  );
});

describe('a run whose workers keep dying', () => {
  it(
    "is failed for good with the queue's reason once it has lost its worker too often, and the next run completes",
    { timeout: 300_000 },
    async () => {
      // Only this test's workers: each allows one lost worker per run (--max-stalled 1) and has short locks.
      await Promise.all(h.workers.map((worker) => worker.kill('SIGTERM')));
      const fast = ['--lock-ms', '3000', '--stalled-interval-ms', '500', '--max-stalled', '1'];
      const pool = await Promise.all([h.startWorker('doomed-1', fast), h.startWorker('doomed-2', fast)]);
      const { runManager } = await h.openHost();
      const victim = await runManager.startRun({
        config: sinusoidConfig({ epochs: 50_000, evalEvery: 25_000, gridPoints: 20 }),
        runOn: 'queue',
      });
      const watch = h.watchStream(victim.id);
      // Kill -9 whichever worker trains the run, once it has trained a few steps of this attempt.
      const killDuring = async (attempt: number) => {
        const entries = await watch.until(
          (all) =>
            all.some((entry) => entry.attempt === attempt && entry.body.kind === 'attempt') &&
            all.filter((entry) => entry.attempt === attempt && entry.body.kind === 'event').length >= 5,
          `attempt ${attempt} training`,
          120_000,
        );
        const start = entries.find((entry) => entry.attempt === attempt && entry.body.kind === 'attempt')!;
        const name = start.body.kind === 'attempt' ? start.body.worker : '';
        const trainer = pool.find((worker) => worker.name === name)!;
        expect(trainer).toBeDefined();
        await trainer.kill('SIGKILL');
        return name;
      };
      const firstTrainer = await killDuring(1);
      const secondTrainer = await killDuring(2); // the other worker took it over after the stalled check
      expect(secondTrainer).not.toBe(firstTrainer);
      // A third worker's stalled check finds the run lost twice: BullMQ gives up on it.
      const survivor = await h.startWorker('survivor', fast);
      const failed = await runManager.waitForRun(victim.id);
      await watch.stop();
      expect(failed.state).toBe('failed');
      expect(failed.message).toBe('The queue gave up on the run: job stalled more than allowable limit.');
      const stored = await h.storedEvents(victim.id);
      expect(stored.at(-1)).toMatchObject({ type: 'status', state: 'failed', message: failed.message });
      // BullMQ keeps the failed job (and the run's config in it) until the run is deleted on the host.
      const redis = new Redis(h.redis.url);
      const jobKeys = () => redis.keys(`bull:${DEFAULT_QUEUE_NAME}:${victim.id}*`);
      expect((await jobKeys()).length).toBeGreaterThan(0);
      await runManager.deleteRun(victim.id);
      await waitFor(async () => ((await jobKeys()).length === 0 ? true : undefined), 'the failed job to go', 30_000);
      expect(await redis.keys(`bw:run:${victim.id}:*`)).toEqual([]);
      redis.disconnect();
      // The survivor never trained it, and takes the next run as usual.
      expect(survivor.lines.some((line) => line.runId === victim.id && line.started)).toBe(false);
      const next = await runManager.startRun({
        config: sinusoidConfig({ epochs: 40, evalEvery: 40, gridPoints: 20 }),
        runOn: 'queue',
      });
      const done = await runManager.waitForRun(next.id);
      expect(done.state).toBe('completed');
      expect(done.worker).toBe('survivor');
      await runManager.close();
      await survivor.kill('SIGTERM');
    },
  );
});

describe('a wrong password, an unreachable Redis, a malformed job', () => {
  it('are each said clearly, and local runs go on', { timeout: 900_000 }, async () => {
    await expect(probeRedis(parseQueueUrl(wrongPasswordUrl()))).rejects.toThrow(
      /Redis at 127\.0\.0\.1:\d+ refused the user name or password in the queue URL \(redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\)/,
    );
    await expect(probeRedis(parseQueueUrl(`redis://127.0.0.1:${h.redis.port}`))).rejects.toThrow(/requires a password/);
    const deadPort = await freePort();
    await expect(probeRedis(parseQueueUrl(`redis://:x@127.0.0.1:${deadPort}`))).rejects.toThrow(
      /cannot be reached: nothing accepts connections there \(ECONNREFUSED\)/,
    );
    expect(() => parseQueueUrl('http://example')).toThrow(/must start with redis:\/\/ or rediss:\/\//);

    // The worker command says it and exits.
    const refused = startQueueWorkerProcess(wrongPasswordUrl(), 'refused');
    const unreachable = startQueueWorkerProcess(`redis://:x@127.0.0.1:${deadPort}`, 'unreachable');
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toMatch(/Error: Redis at 127\.0\.0\.1:\d+ refused the user name or password/);
    expect(refused.stderr()).not.toContain('not-the-password');
    expect(await unreachable.exited).toBe(1);
    expect(unreachable.stderr()).toMatch(/cannot be reached/);

    // A host given the wrong password: the queue says why it cannot be used; local runs train.
    const { runManager } = await h.openHost(wrongPasswordUrl());
    expect(runManager.queueStatus?.problem).toMatch(/refused the user name or password/);
    expect(runManager.queueStatus?.url).not.toContain('not-the-password');
    await expect(runManager.startRun({ config: sinusoidConfig({ epochs: 20 }), runOn: 'queue' })).rejects.toThrow(
      /The run queue cannot be used: Redis at 127\.0\.0\.1:\d+ refused the user name or password/,
    );
    const local = await runManager.startRun({ config: sinusoidConfig({ epochs: 30, evalEvery: 30, gridPoints: 20 }) });
    expect((await runManager.waitForRun(local.id)).state).toBe('completed');
    await runManager.close();

    // A malformed job fails alone, with the reason; the worker takes the next run.
    const worker = await h.startWorker('worker-m');
    const good = await h.openHost();
    const queueConnection = new Redis(h.redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(DEFAULT_QUEUE_NAME, { connection: queueConnection });
    await queue.add('train', { format: 'something else', runId: 'x' }, { jobId: 'bogus-job' });
    await waitFor(() => worker.lines.find((line) => line.malformed), 'the worker to refuse the malformed job');
    expect(worker.lines.find((line) => line.malformed)?.malformed).toMatch(
      /^Job "bogus-job" is malformed and was not run: format: /,
    );
    await waitFor(
      () => h.warnings.find((warning) => warning.includes('bogus-job')),
      "the host's warning about the failed job",
    );
    await queue.close();
    queueConnection.disconnect(); // BullMQ leaves a connection it was given open
    const afterwards = await good.runManager.startRun({
      config: sinusoidConfig({ epochs: 40, evalEvery: 40, gridPoints: 20 }),
      runOn: 'queue',
    });
    expect((await good.runManager.waitForRun(afterwards.id)).state).toBe('completed');
    await good.runManager.close();
  });

  it('fails only its run on a malformed stream entry, with the reason', { timeout: 900_000 }, async () => {
    if (!h.workers.some((worker) => worker.child.exitCode === null && worker.name === 'worker-m'))
      await h.startWorker('worker-m2');
    const { runManager } = await h.openHost();
    const victim = await runManager.startRun({
      config: sinusoidConfig({ epochs: 2000, evalEvery: 1000, gridPoints: 20 }),
      runOn: 'queue',
    });
    const bystander = await runManager.startRun({
      config: sinusoidConfig({ epochs: 60, evalEvery: 60, gridPoints: 20 }),
    });
    await waitFor(
      async () => ((await runManager.getRun(victim.id)).step >= 10 ? true : undefined),
      'the victim to train',
    );
    const redis = new Redis(h.redis.url);
    await redis.xadd(
      runKeys(victim.id).stream,
      '*',
      'attempt',
      '99',
      'seq',
      '1',
      'body',
      '{"kind":"event","event":{"type":"nonsense"}}',
    );
    redis.disconnect();
    const failed = await runManager.waitForRun(victim.id);
    expect(failed.state).toBe('failed');
    expect(failed.message).toMatch(
      new RegExp(
        `^Run "${victim.id}" failed: the queue worker sent a malformed stream entry \\d+-\\d+ \\(event\\.type: `,
      ),
    );
    expect((await runManager.waitForRun(bystander.id)).state).toBe('completed');
    await runManager.close();
  });
});

describe('a queue worker while Redis is down', () => {
  it(
    'pauses the run once its unsent entries pass the backlog limit, resumes when Redis has them, and loses nothing',
    { timeout: 300_000 },
    async () => {
      // Only this worker: 0.02 MB of unacknowledged entries, about a hundred sinusoid metrics events.
      await Promise.all(h.workers.map((worker) => worker.kill('SIGTERM')));
      const LIMIT = Math.round(0.02 * 2 ** 20);
      const worker = await h.startWorker('backlogged', ['--max-backlog-mb', '0.02']);
      const { runManager } = await h.openHost();
      const started = await runManager.startRun({
        config: sinusoidConfig({ epochs: 1_000_000, evalEvery: 500_000, gridPoints: 20 }),
        runOn: 'queue',
      });
      await waitFor(
        async () => ((await runManager.getRun(started.id)).step >= 20 ? true : undefined),
        'the run to train',
      );
      // Down for 5 s: without a limit the worker would keep every step's entries in memory meanwhile.
      await h.redis.restart(5000);
      const released = await waitFor(
        () => worker.lines.find((line) => line.runId === started.id && line.released),
        'the worker to release the run once Redis has its backlog',
      );
      const held = worker.lines.find((line) => line.runId === started.id && line.held);
      expect(held?.backlog).toMatchObject({ bytes: expect.any(Number) as number });
      expect((held?.backlog as { bytes: number }).bytes).toBeGreaterThan(LIMIT);
      // Held from the step boundary after the limit: what arrived meanwhile is at most a step's entries.
      expect(released.peakBytes as number).toBeLessThan(2 * LIMIT);
      expect(released.heldMs as number).toBeGreaterThan(1000);
      const resumedAt = (await runManager.getRun(started.id)).step;
      await waitFor(
        async () => ((await runManager.getRun(started.id)).step >= resumedAt + 20 ? true : undefined),
        'the run to train on after the release',
      );
      await runManager.stopRun(started.id);
      const final = await runManager.waitForRun(started.id);
      expect(final.state).toBe('stopped');
      const sent = await waitFor(
        () => worker.lines.find((line) => line.runId === started.id && line.sent)?.sent,
        "the worker's log of the run",
      );
      const stored = await h.storedEvents(started.id);
      // Everything the worker sent is stored once and in order, every step from 1 to the last.
      expect(workerSentOf(stored)).toEqual(sent);
      expect(timelineMetricSteps(stored)).toEqual(Array.from({ length: final.step }, (_, index) => index + 1));
      // The run says why it waited, and it went on from the step where it was held.
      const statuses = stored.filter((event) => event.type === 'status');
      const paused = statuses.find((event) => event.type === 'status' && event.state === 'paused');
      expect(paused?.type === 'status' && paused.message).toMatch(
        /^Paused at step \d+: Redis has not acknowledged the last \d+ entries of this run \(2\d KB\); training waits until it has them, so nothing is lost\.$/,
      );
      const resumed = statuses.find(
        (event) => event.type === 'status' && event.state === 'running' && /^Resumed at step/.test(event.message ?? ''),
      );
      expect(resumed?.step).toBe(paused?.step);
      await runManager.close();
    },
  );
});

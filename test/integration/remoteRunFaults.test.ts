/**
 * The run queue when things go wrong, with a real redis-server and real `npm run worker` processes:
 * a worker killed with SIGKILL mid-run (its run goes on on another worker from the checkpoint the
 * host stored, the step count continuing, no gap and no duplicate in the timeline); a wrong
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
import { openRemoteHarness, timelineMetricSteps, waitFor, type RemoteHarness } from './fixtures/remoteHarness';
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
    { timeout: 900_000 },
    async () => {
      // Short locks, so the stalled-job check notices the dead worker within seconds.
      const fast = ['--lock-ms', '5000', '--stalled-interval-ms', '1000'];
      const first = await h.startWorker('worker-1', fast);
      const { runManager } = await h.openHost();
      const config = lenet5ConfigSchema.parse({
        experiment: 'lenet5',
        steps: 40,
        batchSize: 8,
        evalEvery: 10,
        evalDraws: 2,
        evalImages: 20,
        seed: 2,
      });
      const started = await runManager.startRun({ config, runOn: 'queue' });
      const atCheckpoint = await waitFor(async () => {
        const record = await runManager.getRun(started.id);
        return (record.checkpointStep ?? 0) >= 10 && record.step >= record.checkpointStep! + 3 ? record : undefined;
      }, 'a stored checkpoint and steps past it');
      expect(atCheckpoint.worker).toBe('worker-1');
      const second = await h.startWorker('worker-2', fast); // idle until the first one dies
      const checkpointAtKill = (await runManager.getRun(started.id)).checkpointStep!;
      await first.kill('SIGKILL');

      const final = await runManager.waitForRun(started.id);
      expect(final.state).toBe('completed');
      expect(final.worker).toBe('worker-2');
      const stored = await h.storedEvents(started.id);
      const takeover = stored.find((event) => event.type === 'status' && event.resumedFromStep !== undefined);
      expect(takeover).toMatchObject({ state: 'queued', resumedFromStep: checkpointAtKill });
      expect(takeover?.type === 'status' && takeover.message).toMatch(
        /"worker-1" stopped answering; "worker-2" continues/,
      );
      // The timeline: steps 1…40 once each; the stretch worker-1 trained past the checkpoint is superseded.
      expect(timelineMetricSteps(stored)).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
      // worker-2 continued the step count from the checkpoint.
      const sentBySecond = second.lines.find((line) => line.runId === started.id && line.sent)!.sent!;
      expect(sentBySecond.find((entry) => entry.startsWith('metrics:'))).toBe(`metrics:${checkpointAtKill + 1}`);
      expect(
        currentTimeline(stored)
          .filter((event) => event.type === 'heldout')
          .map((event) => event.step),
      ).toEqual([10, 20, 30, 40]);
      await runManager.close();
      await second.kill('SIGTERM');
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
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toMatch(/Error: Redis at 127\.0\.0\.1:\d+ refused the user name or password/);
    expect(refused.stderr()).not.toContain('not-the-password');
    const unreachable = startQueueWorkerProcess(`redis://:x@127.0.0.1:${deadPort}`, 'unreachable');
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
    const queue = new Queue(DEFAULT_QUEUE_NAME, { connection: new Redis(h.redis.url, { maxRetriesPerRequest: null }) });
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

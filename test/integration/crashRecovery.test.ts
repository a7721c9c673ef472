/**
 * The browser shell killed with SIGKILL mid-run and started again on the same runs folder: the run
 * shows as interrupted with its events up to the last flush, and resumeRun continues it from its
 * checkpoint to the end, the step count continuing and the event log appended to.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sinusoidPresets } from '../../core/experiments/sinusoid/presets';
import { runEventSchema, type RunEvent } from '../../core/contract/runEvent';
import type { RunRecord } from '../../core/contract/workbenchApi';
import { startServeWithClient, until, type ServeApiClient } from '../fixtures/serveApiClient';

type Server = ServeApiClient;

let runsDir: string;
const servers: Server[] = [];

beforeAll(async () => {
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-crash-'));
});

afterAll(async () => {
  for (const server of servers) {
    server.socket.terminate();
    await server.stop('SIGKILL');
  }
  await fs.rm(runsDir, { recursive: true, force: true });
});

async function startServer(): Promise<Server> {
  const server = await startServeWithClient(runsDir);
  servers.push(server);
  return server;
}

const metricSteps = (events: RunEvent[]) =>
  events.filter((event) => event.type === 'metrics').map((event) => event.step);

describe('a browser shell killed mid-run', () => {
  it(
    'shows the run interrupted on restart, and resumeRun finishes it from the checkpoint',
    { timeout: 180_000 },
    async () => {
      const epochs = 1500;
      const preset = sinusoidPresets.find((candidate) => candidate.name === 'default')!;
      const config = { ...preset.config, epochs, evalEvery: 100, predictiveDraws: 10, gridPoints: 50 };

      const first = await startServer();
      const started = (await first.call('startRun', { config, name: 'killed mid-run' })) as RunRecord;
      const atCheckpoint = await until(async () => {
        const record = (await first.call('getRun', started.id)) as RunRecord;
        return (record.checkpointStep ?? 0) >= 200 ? record : undefined;
      }, 'a checkpoint at step 200 or later');
      expect(atCheckpoint.state).toBe('running');
      // Some steps past the checkpoint, so a stretch of the log is trained again after the resume.
      await until(
        () =>
          first.pushed.some((event) => event.type === 'metrics' && event.step >= atCheckpoint.checkpointStep! + 20)
            ? true
            : undefined,
        'steps past the checkpoint',
      );
      const killedAt = Date.now();
      process.kill(-first.child.pid!, 'SIGKILL');
      expect(await first.exited).toBeNull(); // killed by the signal: no exit code
      first.socket.terminate();

      const second = await startServer();
      const interrupted = ((await second.call('listRuns')) as RunRecord[]).find((record) => record.id === started.id)!;
      expect(interrupted.state).toBe('interrupted');
      expect(interrupted.checkpointStep).toBeGreaterThanOrEqual(atCheckpoint.checkpointStep!);
      expect(interrupted.message).toMatch(
        new RegExp(
          `^The process training this run ended before it finished \\(it was running at step ${interrupted.step}\\)\\. It can resume from its checkpoint at step ${interrupted.checkpointStep}\\.$`,
        ),
      );
      const before = (await second.call('getRunEvents', started.id)) as RunEvent[];
      const lastTrained = Math.max(...metricSteps(before));
      // The event log is flushed before every checkpoint is written, so it reaches the checkpoint's step.
      expect(lastTrained).toBeGreaterThanOrEqual(interrupted.checkpointStep!);
      expect(metricSteps(before)).toEqual(Array.from({ length: lastTrained }, (_, i) => i + 1));
      // Events reach the disk within the 0.5 s flush interval: the kill lost about that much (slack for a loaded machine).
      const lastStoredTime = Math.max(...before.filter((event) => event.type === 'metrics').map((event) => event.time));
      expect(killedAt - lastStoredTime).toBeLessThan(2000);

      const checkpointStep = interrupted.checkpointStep!;
      const queued = (await second.call('resumeRun', started.id)) as RunRecord;
      expect(queued).toMatchObject({ state: 'queued', step: checkpointStep });
      await until(
        () =>
          second.pushed.some(
            (event) => event.runId === started.id && event.type === 'status' && event.state === 'completed',
          )
            ? true
            : undefined,
        'the resumed run to complete',
      );
      // The final checkpoint is on disk (and in the record) a moment after the `completed` event.
      const final = await until(async () => {
        const record = (await second.call('getRun', started.id)) as RunRecord;
        return record.checkpointStep === epochs ? record : undefined;
      }, 'the final checkpoint');
      expect(final).toMatchObject({ state: 'completed', step: epochs, checkpointStep: epochs, name: 'killed mid-run' });

      // The current timeline has every step once; the log on disk holds both stretches, in order.
      const timeline = (await second.call('getRunEvents', started.id)) as RunEvent[];
      expect(metricSteps(timeline)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
      const log = (await fs.readFile(path.join(runsDir, started.id, 'events.ndjson'), 'utf8'))
        .trimEnd()
        .split('\n')
        .map((line) => runEventSchema.parse(JSON.parse(line)));
      const resumeAt = log.findIndex((event) => event.type === 'status' && event.resumedFromStep === checkpointStep);
      expect(resumeAt).toBeGreaterThan(0);
      expect(metricSteps(log.slice(0, resumeAt))).toEqual(Array.from({ length: lastTrained }, (_, i) => i + 1));
      expect(metricSteps(log.slice(resumeAt))).toEqual(
        Array.from({ length: epochs - checkpointStep }, (_, i) => checkpointStep + 1 + i),
      );
      expect(
        log.filter((event) => event.type === 'status').map((event) => (event.type === 'status' ? event.state : '')),
      ).toEqual(['queued', 'running', 'interrupted', 'queued', 'running', 'completed']);

      second.socket.close();
      process.kill(second.child.pid!, 'SIGTERM');
      expect(await second.exited).toBe(0);
    },
  );
});

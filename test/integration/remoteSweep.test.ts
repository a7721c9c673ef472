/**
 * The acceptance sweep of the run queue: a 2 × 2 × 3 sinusoid sweep started with
 * `npm run sweep -- --file … --queue redis://… --json` (a real CLI process, the host) and trained
 * by three `npm run worker` processes through a real redis-server. All 12 runs are done; each
 * run's events.ndjson holds exactly the events its worker says it sent, once each and in the
 * order sent (count and step sequence), and the CLI's JSON names the worker of every run. The
 * same over TLS: a TLS-only redis-server with a throwaway CA (rediss://, NODE_EXTRA_CA_CERTS).
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConfigSchema } from '../../core/contract/runConfig';
import type { SweepFileInput } from '../../core/contract/sweep';
import { runRecordSchema } from '../../core/contract/workbenchApi';
import { sinusoidPresets } from '../../core/experiments/sinusoid/presets';
import { openRemoteHarness, waitFor, workerSentOf, type RemoteHarness } from './fixtures/remoteHarness';
import { repoRoot } from '../fixtures/serveProcess';
import { RunStore } from '../../electron/host/runStore';
import { startQueueWorkerProcess } from '../fixtures/queueWorkerProcess';
import { makeTestCertificates, startRedisServer } from '../fixtures/redisServer';

const base = sinusoidPresets.find((preset) => preset.name === 'default')!.config;
const EPOCHS = 20;
const sweepFile: SweepFileInput = {
  name: 'queue sweep',
  base: { ...base, epochs: EPOCHS, evalEvery: 10, predictiveDraws: 8, gridPoints: 40 },
  axes: { learningRate: [0.01, 0.03], 'prior.scale': [0.5, 1] },
  seeds: [0, 1, 2],
  search: 'grid',
};
const WORKERS = ['worker-a', 'worker-b', 'worker-c'];

let h: RemoteHarness;

beforeAll(async () => {
  h = await openRemoteHarness('workbench-remote-sweep-');
  await Promise.all(WORKERS.map((name) => h.startWorker(name)));
}, 300_000);

afterAll(async () => {
  await h?.close();
});

interface SweepResult {
  sweepId: string;
  runs: { id: string; state: string; worker: string; config: unknown }[];
  done: number;
  failed: number;
}

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'electron/cli.ts', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('exit', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
  });
}

describe('a sweep on the run queue', () => {
  it(
    'trains 12 runs on 3 queue workers, each run stored exactly as its worker sent it',
    { timeout: 900_000 },
    async () => {
      const file = path.join(h.runsDir, '..', `${path.basename(h.runsDir)}-sweep.json`);
      await fs.writeFile(file, JSON.stringify(sweepFile));
      const { code, stdout, stderr } = await runCli([
        'sweep',
        '--file',
        file,
        '--queue',
        h.redis.url,
        '--runs-dir',
        h.runsDir,
        '--json',
      ]);
      await fs.rm(file, { force: true });
      expect(code, stderr).toBe(0);
      expect(stderr).not.toContain(h.redis.password); // the password is never echoed
      const result = JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as SweepResult;
      expect(Object.keys(result)).toEqual(['sweepId', 'runs', 'done', 'failed']);
      expect(result.done).toBe(12);
      expect(result.failed).toBe(0);
      expect(result.runs).toHaveLength(12);
      const used = new Set<string>();
      for (const run of result.runs) {
        expect(run.state).toBe('completed');
        const worker = /^(worker-[abc]) \((tensorflow|wasm|cpu|webgpu)\)$/.exec(run.worker);
        expect(worker, run.worker).not.toBeNull();
        used.add(worker![1]);
        expect(runConfigSchema.parse(run.config)).toEqual(run.config);
        const record = runRecordSchema.parse(
          JSON.parse(await fs.readFile(path.join(h.runsDir, run.id, 'run.json'), 'utf8')),
        );
        expect(record).toMatchObject({ runOn: 'queue', worker: worker![1], state: 'completed', step: EPOCHS });
        expect(record.sweep?.sweepId).toBe(result.sweepId);
      }
      // Twelve one-at-a-time runs over three idle workers: more than one of them trained.
      expect(used.size).toBeGreaterThan(1);

      for (const run of result.runs) {
        // What the workers say they sent for this run (logged once its job is over), in order.
        const sent = await waitFor(() => {
          const lines = h.workers.flatMap((worker) =>
            worker.lines.filter((line) => line.runId === run.id && line.sent),
          );
          return lines.length > 0 ? lines.flatMap((line) => line.sent!) : undefined;
        }, `the worker's log of run ${run.id}`);
        const stored = await h.storedEvents(run.id);
        // Exactly once and in order: the stored sequence equals the sent one (count and steps).
        expect(workerSentOf(stored)).toEqual(sent);
        const metricSteps = stored.filter((event) => event.type === 'metrics').map((event) => event.step);
        expect(metricSteps).toEqual(Array.from({ length: EPOCHS }, (_, index) => index + 1));
        expect(stored.filter((event) => event.type === 'regression').map((event) => event.step)).toEqual([10, 20]);
      }
    },
  );
});

describe('a run queue over TLS (rediss://)', () => {
  it(
    'trains a sweep through a TLS-only redis-server whose CA the host and worker are given with NODE_EXTRA_CA_CERTS',
    { timeout: 300_000 },
    async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-tls-'));
      const certificates = await makeTestCertificates(dir);
      const redis = await startRedisServer({ tls: certificates });
      const trustCa = { NODE_EXTRA_CA_CERTS: certificates.caFile };
      try {
        expect(redis.url).toMatch(/^rediss:\/\//);
        // Certificates are verified: without the CA, the worker refuses the server and says why.
        const untrusting = startQueueWorkerProcess(redis.url, 'tls-untrusting');
        expect(await untrusting.exited).toBe(1);
        expect(untrusting.stderr()).toMatch(/Redis at 127\.0\.0\.1:\d+ failed the TLS handshake \(.*certificate/);
        const worker = startQueueWorkerProcess(redis.url, 'tls-worker', [], trustCa);
        await worker.ready;
        const file = path.join(dir, 'sweep.json');
        const runsDir = path.join(dir, 'runs');
        await fs.writeFile(
          file,
          JSON.stringify({ ...sweepFile, name: 'tls sweep', axes: { learningRate: [0.01, 0.03] }, seeds: [0] }),
        );
        const { code, stdout, stderr } = await runCli(
          ['sweep', '--file', file, '--queue', redis.url, '--runs-dir', runsDir, '--json'],
          trustCa,
        );
        await worker.kill('SIGTERM');
        expect(code, stderr).toBe(0);
        const result = JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as SweepResult;
        expect(result).toMatchObject({ done: 2, failed: 0 });
        for (const run of result.runs) {
          expect(run.state).toBe('completed');
          expect(run.worker).toMatch(/^tls-worker \(/);
          const record = runRecordSchema.parse(
            JSON.parse(await fs.readFile(path.join(runsDir, run.id, 'run.json'), 'utf8')),
          );
          expect(record).toMatchObject({ runOn: 'queue', worker: 'tls-worker', state: 'completed', step: EPOCHS });
          const sent = worker.lines.filter((line) => line.runId === run.id && line.sent).flatMap((line) => line.sent!);
          const store = new RunStore(runsDir, { access: { mode: 'read-only', reason: 'test' } });
          expect(workerSentOf((await store.readEvents(run.id)).events)).toEqual(sent);
          expect(sent.length).toBeGreaterThan(EPOCHS);
        }
      } finally {
        await redis.stop();
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  );
});

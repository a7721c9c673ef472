/**
 * Issue #14 item 9: two workbench processes on one runs folder. The first owns it (its lock); the
 * second opens it read-only — listing and reading work, every change is refused naming the owner —
 * so renames are not reverted and only one process can resume a run. When the owner is killed, the
 * next process takes the folder over.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializeCheckpoint } from '../../core/training/checkpoint';
import type { RunRecord } from '../../core/contract/workbenchApi';
import { openHostServices, type HostServices } from '../../electron/host/hostServices';
import { RunStore } from '../../electron/host/runStore';
import { fakeWorkerUrl } from '../integration/fixtures/runManagerHarness';
import { repoRoot } from '../fixtures/serveProcess';
import { metricsEvent, runRecord, tempRunsDir, writeRunFolder } from './faultHelpers';

interface HostChild {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  readOnlyReason: string | null;
  call(method: string, ...args: unknown[]): Promise<unknown>;
}

let runsDir: string;
let children: HostChild[];
let inProcess: HostServices[];

beforeEach(async () => {
  runsDir = await tempRunsDir('workbench-two-');
  children = [];
  inProcess = [];
});

afterEach(async () => {
  for (const host of children) host.child.kill('SIGKILL');
  for (const services of inProcess) await services.runManager.close(500);
  await fs.rm(runsDir, { recursive: true, force: true });
});

async function startHostProcess(): Promise<HostChild> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures', 'hostProcess.ts'), runsDir],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout });
  const pending = new Map<number, (reply: { ok: boolean; result?: unknown; error?: string }) => void>();
  let nextId = 1;
  const ready = new Promise<{ pid: number; readOnlyReason: string | null }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`The host process exited (${code}): ${stderr}`)));
    lines.on('line', (line) => {
      const message = JSON.parse(line);
      if (message.ready) resolve(message);
      else pending.get(message.id)?.(message);
    });
  });
  const { pid, readOnlyReason } = await ready;
  const host: HostChild = {
    child,
    pid,
    readOnlyReason,
    call: (method, ...args) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, (reply) => (reply.ok ? resolve(reply.result) : reject(new Error(reply.error))));
        child.stdin.write(`${JSON.stringify({ id, method, args })}\n`);
      }),
  };
  children.push(host);
  return host;
}

async function openHere(): Promise<HostServices> {
  const services = await openHostServices({
    runsDir,
    shell: 'browser',
    workerUrl: fakeWorkerUrl,
    warn: () => undefined,
  });
  inProcess.push(services);
  return services;
}

describe('two processes on one runs folder (item 9)', () => {
  it(
    'the second opens read-only naming the owner; renames are not reverted and only the owner resumes',
    { timeout: 120_000 },
    async () => {
      await writeRunFolder(runsDir, runRecord('shared', { state: 'stopped', step: 3 }), [metricsEvent('shared', 3)]);
      const seeder = new RunStore(runsDir);
      await seeder.writeCheckpoint(
        'shared',
        serializeCheckpoint({
          experiment: 'sinusoid',
          step: 3,
          seedStreams: { train: 3 },
          batchesDrawn: 3,
          variables: [],
          optimizer: { kind: 'adam', iterations: 3, firstMoments: [], secondMoments: [] },
        }),
      );
      await seeder.close();

      const owner = await startHostProcess();
      expect(owner.readOnlyReason).toBeNull();
      const second = await openHere();
      expect(second.readOnlyReason).toMatch(
        new RegExp(
          `^The runs folder ${runsDir} is in use by serve \\(pid ${owner.pid} on .*, opened .*\\); it was opened read-only\\.$`,
        ),
      );

      // The renderer learns it from getEnvironment (shown in its top bar).
      expect(await second.api.call('getEnvironment', [])).toMatchObject({ readOnlyReason: second.readOnlyReason });
      expect(await owner.call('getEnvironment')).not.toHaveProperty('readOnlyReason');

      // Reading works in both.
      expect(((await second.api.call('listRuns', [])) as RunRecord[]).map((run) => run.id)).toEqual(['shared']);
      expect(await second.api.call('getRunEvents', ['shared'])).toHaveLength(1);

      // A rename in the read-only process is refused with the owner's name; the owner's rename stays.
      await expect(second.api.call('renameRun', ['shared', 'from the second'])).rejects.toThrow(
        new RegExp(`in use by serve \\(pid ${owner.pid}.*Changing run "shared" was refused`),
      );
      await owner.call('renameRun', 'shared', 'from the owner');
      expect(((await second.api.call('getRun', ['shared'])) as RunRecord).name).toBe('from the owner');

      // Only the owner can resume: one trainer, one resume in the log.
      await expect(second.api.call('resumeRun', ['shared'])).rejects.toThrow(
        new RegExp(`pid ${owner.pid}.*Resuming run "shared" was refused`),
      );
      await owner.call('resumeRun', 'shared');
      expect(await owner.call('waitForRun', 'shared')).toMatchObject({ state: 'completed', step: 10 });
      const events = (await second.api.call('getRunEvents', ['shared'])) as {
        type: string;
        resumedFromStep?: number;
      }[];
      expect(events.filter((event) => event.resumedFromStep !== undefined)).toHaveLength(1);

      // The owner dies without releasing the lock; the next process takes the folder over.
      owner.child.kill('SIGKILL');
      await new Promise((resolve) => owner.child.once('exit', resolve));
      const next = await openHere();
      expect(next.readOnlyReason).toBeNull();
      expect(((await next.api.call('renameRun', ['shared', 'after the owner died'])) as RunRecord).name).toBe(
        'after the owner died',
      );
    },
  );
});

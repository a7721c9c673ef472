/**
 * Issue #14 item 9 in one process: the runs folder's lock (who owns it, when a dead owner's lock is
 * taken over, a read-only store's refusals), and process identities that survive PID reuse (item 10).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRunsFolder } from '../../../electron/host/hostServices';
import {
  bootId,
  currentProcessIdentity,
  processLiveness,
  processStartTicks,
} from '../../../electron/host/processIdentity';
import { LOCK_FILE, RunsFolderLock } from '../../../electron/host/runsFolderLock';
import { RunManager } from '../../../electron/host/runManager';
import { RunStore } from '../../../electron/host/runStore';
import { killStrangers, runRecord, spawnStranger, writeRunFolder } from '../../faults/faultHelpers';

let runsDir: string;

beforeEach(async () => {
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-lock-'));
});

afterEach(async () => {
  killStrangers();
  await fs.rm(runsDir, { recursive: true, force: true });
});

describe('process identity', () => {
  it('tells this process alive, and the same PID with another start time or boot dead', () => {
    const me = currentProcessIdentity();
    expect(processLiveness(me)).toBe('alive');
    if (bootId() !== undefined) {
      expect(processStartTicks(process.pid)).toBe(me.startTicks);
      expect(processLiveness({ ...me, startTicks: me.startTicks! + 1 })).toBe('dead');
      expect(processLiveness({ ...me, bootId: 'another-boot' })).toBe('dead');
      expect(processLiveness({ pid: me.pid, hostname: me.hostname })).toBe('dead'); // a bare PID proves nothing
    }
    expect(processLiveness({ ...me, hostname: 'another-host' })).toBe('unknown');
  });
});

describe('the runs folder lock (item 9)', () => {
  it('is held by one owner: a second acquire names it, a read-only open says so, release frees it', async () => {
    const lock = await RunsFolderLock.acquire(runsDir, 'serve');
    await expect(RunsFolderLock.acquire(runsDir, 'the train command')).rejects.toThrow(
      new RegExp(
        `The runs folder ${runsDir} is in use by serve \\(pid ${process.pid} on ${os.hostname()}, opened .*\\)\\.`,
      ),
    );
    const second = await openRunsFolder(runsDir, 'owner-or-read-only', 'serve');
    expect(second.lock).toBeUndefined();
    expect(second.access).toEqual({
      mode: 'read-only',
      reason: expect.stringMatching(/is in use by serve \(pid \d+.*\); it was opened read-only\./),
    });
    await expect(openRunsFolder(runsDir, 'owner', 'the train command')).rejects.toThrow(
      /Only one workbench process may change a runs folder; close that one, or use another --runs-dir\./,
    );
    await lock.release();
    await expect(fs.readdir(runsDir)).resolves.toEqual([]);
    const again = await RunsFolderLock.acquire(runsDir, 'serve');
    await again.release();
  });

  it('takes over the lock of a dead owner, also one whose PID now belongs to another process', async () => {
    const stranger = spawnStranger();
    const stale = {
      ...currentProcessIdentity(),
      pid: stranger,
      startTicks: 1,
      shell: 'serve',
      openedAt: '2026-01-01T00:00:00.000Z',
    };
    await fs.writeFile(path.join(runsDir, LOCK_FILE), JSON.stringify(stale));
    const lock = await RunsFolderLock.acquire(runsDir, 'serve');
    expect(JSON.parse(await fs.readFile(path.join(runsDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('a store that is read-only refuses every change with the reason and still reads', async () => {
    await writeRunFolder(runsDir, runRecord('done'));
    const reason = 'The runs folder /x is in use by serve (pid 1234, opened 10:02); it was opened read-only.';
    const store = new RunStore(runsDir, { access: { mode: 'read-only', reason } });
    const manager = new RunManager({ store, totalSteps: () => 10 });
    expect(await manager.initialize()).toEqual([]);
    expect((await manager.listRuns()).runs.map((run) => run.id)).toEqual(['done']);
    await expect(manager.renameRun('done', 'x')).rejects.toThrow(`${reason} Changing run "done" was refused`);
    await expect(manager.deleteRun('done')).rejects.toThrow(`${reason} Deleting run "done" was refused`);
    await expect(manager.resumeRun('done')).rejects.toThrow(`${reason} Resuming run "done" was refused`);
    await expect(manager.startRun({ config: runRecord('x').config })).rejects.toThrow(
      `${reason} Starting a run was refused`,
    );
    await manager.close();
  });
});

/**
 * Issue #14 item 10: a run claim (owner.json) whose PID was reused — after a reboot, or in a
 * container where the workbench is always the same pid — must not keep a run `running` forever.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunManager } from '../../../electron/host/runManager';
import { RunStore } from '../../../electron/host/runStore';
import { killStrangers, runRecord, spawnStranger, writeRunFolder } from '../../faults/faultHelpers';

let runsDir: string;

beforeEach(async () => {
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-claims-'));
});

afterEach(async () => {
  killStrangers();
  await fs.rm(runsDir, { recursive: true, force: true });
});

/** Field 22 of /proc/<pid>/stat, read here so this test needs nothing from the code under test. */
async function startTicks(pid: number): Promise<number | undefined> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined ? undefined : Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

async function bootId(): Promise<string | undefined> {
  return (await fs.readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => ''))?.trim() || undefined;
}

describe('run claims survive PID reuse (item 10)', () => {
  it('a run whose owner.json names a live PID of another process (no start time) is marked interrupted', async () => {
    const dir = await writeRunFolder(runsDir, runRecord('orphan', { state: 'running', step: 3 }));
    await fs.writeFile(
      path.join(dir, 'owner.json'),
      JSON.stringify({ pid: spawnStranger(), storeId: 'a-store-of-a-dead-process' }),
    );
    const store = new RunStore(runsDir);
    expect(await store.markInterruptedRuns()).toEqual(['orphan']);
    expect(await store.readRecord('orphan')).toMatchObject({ state: 'interrupted' });
    await store.close();
  });

  it('a claim with the right PID but another start time is dead too; a live claim is respected', async () => {
    const reused = await writeRunFolder(runsDir, runRecord('reused', { state: 'running' }));
    const live = await writeRunFolder(runsDir, runRecord('live', { state: 'running' }));
    const stranger = spawnStranger();
    const strangerIdentity = {
      pid: stranger,
      hostname: os.hostname(),
      bootId: await bootId(),
      startTicks: await startTicks(stranger),
    };
    await fs.writeFile(
      path.join(reused, 'owner.json'),
      JSON.stringify({ ...strangerIdentity, startTicks: (strangerIdentity.startTicks ?? 0) + 5, storeId: 'old' }),
    );
    await fs.writeFile(path.join(live, 'owner.json'), JSON.stringify({ ...strangerIdentity, storeId: 'old' }));
    const store = new RunStore(runsDir);
    const interrupted = await store.markInterruptedRuns();
    expect(interrupted).toContain('reused');
    if ((await bootId()) !== undefined) expect(interrupted).not.toContain('live');
    await store.close();
  });

  it('stopping a run that no process trains is refused with the reason, not answered "ok"', async () => {
    await writeRunFolder(runsDir, runRecord('ghost', { state: 'running' }));
    const manager = new RunManager({ store: new RunStore(runsDir), totalSteps: () => 10 });
    await expect(manager.stopRun('ghost')).rejects.toThrow(
      /Run "ghost" is running according to its run\.json, but this workbench is not training it/,
    );
    await manager.close();
  });
});

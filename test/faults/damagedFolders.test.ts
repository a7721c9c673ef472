/**
 * Issue #14 items 7, 11 (folder without run.json) and 12: a damaged run folder of each kind never
 * stops the host from starting; it is listed as damaged with the reason, every other run works, no
 * link is followed and no file is read whole.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { serializeCheckpoint } from '../../core/training/checkpoint';
import { openHostServices } from '../../electron/host/hostServices';
import { RunManager } from '../../electron/host/runManager';
import { RunStore } from '../../electron/host/runStore';
import { fakeWorkerUrl } from '../integration/fixtures/runManagerHarness';
import {
  errnoError,
  metricsEvent,
  opensForWriting,
  mountTmpfs,
  remountReadOnly,
  runRecord,
  tempRunsDir,
  unmount,
  writeRunFolder,
} from './faultHelpers';

let runsDir: string;
let managers: RunManager[];

beforeEach(async () => {
  runsDir = await tempRunsDir('workbench-damaged-');
  managers = [];
});

afterEach(async () => {
  for (const manager of managers) await manager.close(500);
  await fs.rm(runsDir, { recursive: true, force: true });
});

/** A host as the shells open one: the run manager, initialized (unfinished runs of dead processes marked). */
async function startHost(): Promise<{ manager: RunManager; warnings: string[] }> {
  const warnings: string[] = [];
  const manager = new RunManager({
    store: new RunStore(runsDir, { flushIntervalMs: 20 }),
    totalSteps: () => 10,
    workerUrl: fakeWorkerUrl,
    warn: (message) => warnings.push(message),
  });
  managers.push(manager);
  await manager.initialize();
  return { manager, warnings };
}

function checkpointAt(step: number) {
  return serializeCheckpoint({
    experiment: 'sinusoid',
    step,
    seedStreams: { train: step },
    batchesDrawn: step,
    variables: [{ name: 'dense1/kernel/loc', shape: [2], values: new Float32Array([step, step]) }],
    optimizer: { kind: 'adam', iterations: step, firstMoments: [], secondMoments: [] },
  });
}

describe('a damaged run folder never stops the host (item 7)', () => {
  it('events.ndjson that is a folder (EISDIR): listed as damaged with the reason, the other runs work', async () => {
    await writeRunFolder(runsDir, runRecord('healthy'), [metricsEvent('healthy', 1)]);
    const broken = await writeRunFolder(runsDir, runRecord('broken', { state: 'running', step: 3 }));
    await fs.rm(path.join(broken, 'events.ndjson'));
    await fs.mkdir(path.join(broken, 'events.ndjson'));

    const { manager } = await startHost();
    const listing = await manager.listRuns();
    expect(listing.runs.map((run) => run.id)).toEqual(['healthy']);
    expect(listing.damaged).toEqual([
      {
        id: 'broken',
        record: expect.objectContaining({ id: 'broken', state: 'interrupted' }),
        reason: expect.stringMatching(/runs\/broken\/events\.ndjson is a folder, not a file/),
      },
    ]);
    await expect(manager.getRunEvents('broken')).rejects.toThrow(
      /The event log of run "broken" cannot be read: .*is a folder, not a regular file/,
    );
    expect((await manager.getRunEvents('healthy')).map((event) => event.step)).toEqual([1]);
  });

  it(
    'a 600 MB sparse events.ndjson: the host starts, reads only its tail, and a read streams it with bounded memory',
    { timeout: 120_000 },
    async () => {
      const dir = await writeRunFolder(runsDir, runRecord('sparse', { state: 'running', step: 1 }), [
        metricsEvent('sparse', 1),
      ]);
      await fs.truncate(path.join(dir, 'events.ndjson'), 600 * 1024 * 1024); // zeros, no newline: one 600 MB "line"
      await writeRunFolder(runsDir, runRecord('healthy'), [metricsEvent('healthy', 1)]);

      const { manager } = await startHost();
      const listing = await manager.listRuns();
      expect(listing.damaged).toEqual([]);
      expect(listing.runs.find((run) => run.id === 'sparse')).toMatchObject({ state: 'interrupted', step: 1 });
      const heapBefore = process.memoryUsage().heapUsed;
      const events = await manager.getRunEvents('sparse');
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
      expect(events.map((event) => event.type)).toEqual(['metrics', 'status']); // the zeros are one skipped over-long line
    },
  );

  it('a read-only runs folder (EROFS) with an unfinished run: the host opens it read-only and names why', async () => {
    const mounted = mountTmpfs(runsDir, 4);
    await writeRunFolder(runsDir, runRecord('unfinished', { state: 'running', step: 2 }), [
      metricsEvent('unfinished', 2),
    ]);
    await writeRunFolder(runsDir, runRecord('done'));
    // Where this process may not mount, the same errno is injected where the lock is created.
    const readOnly = mounted && remountReadOnly(runsDir);
    const realOpen = fs.open;
    const injected = readOnly
      ? null
      : vi.spyOn(fs, 'open').mockImplementation(async (file, ...rest) => {
          if (String(file).startsWith(runsDir) && opensForWriting(rest[0]))
            throw errnoError('EROFS', 'open', String(file));
          return realOpen(file, ...(rest as [number]));
        });
    try {
      const warnings: string[] = [];
      const services = await openHostServices({
        runsDir,
        shell: 'test',
        workerUrl: fakeWorkerUrl,
        warn: (message) => warnings.push(message),
      });
      managers.push(services.runManager);
      expect(services.readOnlyReason).toMatch(
        /The runs folder .* cannot be written \(EROFS.*\); it was opened read-only\./,
      );
      expect(warnings).toContain(services.readOnlyReason);
      const listed = (await services.api.call('listRuns', [])) as { id: string; state: string }[];
      expect(listed.map((run) => [run.id, run.state]).sort()).toEqual([
        ['done', 'completed'],
        ['unfinished', 'running'],
      ]);
      await expect(services.api.call('renameRun', ['done', 'new name'])).rejects.toThrow(
        /cannot be written \(EROFS.*Changing run "done" was refused/,
      );
      expect(await services.api.call('getRunEvents', ['unfinished'])).toHaveLength(1);
    } finally {
      injected?.mockRestore();
      if (mounted) {
        await Promise.all(managers.splice(0).map((manager) => manager.close(500)));
        unmount(runsDir);
      }
    }
  });

  it('a folder without run.json (a creation that never finished) is listed as damaged, not hidden', async () => {
    await fs.mkdir(path.join(runsDir, 'half-made'));
    await fs.writeFile(path.join(runsDir, 'half-made', 'events.ndjson'), '');
    const { manager } = await startHost();
    expect((await manager.listRuns()).damaged).toEqual([
      { id: 'half-made', reason: expect.stringMatching(/runs\/half-made has no run\.json/) },
    ]);
  });

  it('a named pipe (FIFO) as events.ndjson is listed as damaged and never blocks a read', async () => {
    const dir = await writeRunFolder(runsDir, runRecord('piped', { state: 'running' }));
    await fs.rm(path.join(dir, 'events.ndjson'));
    execFileSync('mkfifo', [path.join(dir, 'events.ndjson')]);
    const { manager } = await startHost();
    expect((await manager.listRuns()).damaged).toEqual([
      expect.objectContaining({ id: 'piped', reason: expect.stringMatching(/a named pipe \(FIFO\), not a file/) }),
    ]);
    await expect(manager.getRunEvents('piped')).rejects.toThrow(/a named pipe \(FIFO\), not a regular file/);
  });
});

describe('links inside a run folder are never followed (item 12)', () => {
  it('a checkpoint folder that is a link: the next checkpoint is refused and nothing at the target is deleted', async () => {
    const victim = path.join(runsDir, '..', `${path.basename(runsDir)}-victim`);
    await fs.mkdir(victim, { recursive: true });
    await fs.writeFile(path.join(victim, 'precious.txt'), 'keep me');
    try {
      const store = new RunStore(runsDir);
      await store.createRun(runRecord('linked', { state: 'running', step: 0 }));
      await fs.symlink(victim, path.join(runsDir, 'linked', 'checkpoint'));
      await expect(store.writeCheckpoint('linked', checkpointAt(5))).rejects.toThrow(
        /checkpoint is a symbolic link .*never followed/,
      );
      expect(await fs.readdir(victim)).toEqual(['precious.txt']);
      expect((await store.listRuns()).damaged).toEqual([
        expect.objectContaining({ id: 'linked', reason: expect.stringMatching(/checkpoint is a symbolic link/) }),
      ]);
      await store.close();
    } finally {
      await fs.rm(victim, { recursive: true, force: true });
    }
  });

  it('run.json, events.ndjson or the run folder itself as a link: listed as damaged, never read through', async () => {
    const outside = path.join(runsDir, '..', `${path.basename(runsDir)}-outside`);
    await writeRunFolder(outside, runRecord('elsewhere'), [metricsEvent('elsewhere', 1)]);
    try {
      await fs.symlink(path.join(outside, 'elsewhere'), path.join(runsDir, 'elsewhere'));
      const eventsLinked = await writeRunFolder(runsDir, runRecord('events-linked'));
      await fs.rm(path.join(eventsLinked, 'events.ndjson'));
      await fs.symlink(path.join(outside, 'elsewhere', 'events.ndjson'), path.join(eventsLinked, 'events.ndjson'));
      const recordLinked = path.join(runsDir, 'record-linked');
      await fs.mkdir(recordLinked);
      await fs.symlink(path.join(outside, 'elsewhere', 'run.json'), path.join(recordLinked, 'run.json'));

      const { manager } = await startHost();
      const { runs, damaged } = await manager.listRuns();
      expect(runs).toEqual([]);
      expect(Object.fromEntries(damaged.map((run) => [run.id, run.reason]))).toEqual({
        elsewhere: expect.stringMatching(/runs\/elsewhere is a symbolic link/),
        'events-linked': expect.stringMatching(/events\.ndjson is a symbolic link/),
        'record-linked': expect.stringMatching(/run\.json cannot be read: .*is a symbolic link/),
      });
      await expect(manager.getRunEvents('events-linked')).rejects.toThrow(/is a symbolic link/);
      // Deleting a linked run removes the link, not what it points to.
      await manager.deleteRun('elsewhere');
      expect(await fs.readdir(path.join(outside, 'elsewhere'))).toEqual(
        expect.arrayContaining(['run.json', 'events.ndjson']),
      );
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });
});

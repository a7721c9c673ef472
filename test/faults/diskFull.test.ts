/**
 * Issue #14 item 11: a full disk (ENOSPC on a 3 MB tmpfs, or the same errno injected where this
 * process may not mount). The run ends `failed` with "disk full" in its message, in memory and in
 * run.json (the run's disk reserve is given back for it); the event log keeps every event written
 * before, once, in order (a failed append is cut back, its lines stay buffered); no temporary file is left; and a run that cannot be created on the
 * full disk leaves no folder behind.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { totalStepsOf } from '../../core/experiments/registry';
import { runEventSchema } from '../../core/contract/runEvent';
import { RunManager } from '../../electron/host/runManager';
import { RunStore } from '../../electron/host/runStore';
import { fakeWorkerUrl, sinusoidConfig } from '../integration/fixtures/runManagerHarness';
import { errnoError, mountTmpfs, opensForWriting, tempRunsDir, unmount } from './faultHelpers';

let runsDir: string;
let mounted = false;
let restoreInjection: () => void = () => undefined;

/**
 * Where mounting is not allowed: every write under `dir` draws on a budget of `bytes` and fails with
 * ENOSPC once it is spent (removing a file gives its size back), as a small tmpfs would.
 */
function injectDiskFull(dir: string, bytes: number): () => void {
  let free = bytes;
  const realOpen = fs.open;
  const realRm = fs.rm;
  const openSpy = vi.spyOn(fs, 'open').mockImplementation(async (file, flags, mode) => {
    const handle: FileHandle = await realOpen(file, flags as number, mode as number);
    if (!String(file).startsWith(dir) || !opensForWriting(flags)) return handle;
    const spend = (length: number) => {
      if (length > free) throw errnoError('ENOSPC', 'write', String(file));
      free -= length;
    };
    const realWriteFile = handle.writeFile.bind(handle);
    handle.writeFile = async (data: string | Uint8Array) => {
      spend(Buffer.byteLength(data as string));
      return realWriteFile(data);
    };
    return handle;
  });
  const rmSpy = vi.spyOn(fs, 'rm').mockImplementation(async (file, options) => {
    const size = await fs.lstat(file).then(
      (stats) => (stats.isFile() ? stats.size : 0),
      () => 0,
    );
    await realRm(file, options);
    free += size;
  });
  return () => {
    openSpy.mockRestore();
    rmSpy.mockRestore();
  };
}

beforeEach(async () => {
  runsDir = await tempRunsDir('workbench-enospc-');
  mounted = mountTmpfs(runsDir, 3);
  if (!mounted) restoreInjection = injectDiskFull(runsDir, 3 * 1024 * 1024);
});

afterEach(async () => {
  restoreInjection();
  restoreInjection = () => undefined;
  if (mounted) unmount(runsDir);
  await fs.rm(runsDir, { recursive: true, force: true });
});

/** Writes `file` until the disk is full. */
async function fillDisk(file: string): Promise<void> {
  const handle = await fs.open(file, 'a');
  try {
    for (const size of [65536, 4096, 256, 1]) {
      try {
        for (;;) await handle.writeFile(Buffer.alloc(size, 1));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    await handle.close();
  }
}

async function allFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir, { recursive: true })).map(String);
}

describe('disk full (ENOSPC)', () => {
  it(
    'fails the run with "disk full", keeps every event written before, leaves no temporary file or half-made folder',
    { timeout: 120_000 },
    async () => {
      console.log(
        mounted
          ? 'ENOSPC from a 3 MB tmpfs.'
          : 'mount is not permitted here: ENOSPC is injected at a 3 MB write budget.',
      );
      const warnings: string[] = [];
      const manager = new RunManager({
        store: new RunStore(runsDir, { flushIntervalMs: 50 }),
        totalSteps: totalStepsOf,
        workerUrl: fakeWorkerUrl,
        warn: (message) => warnings.push(message),
      });
      try {
        const run = await manager.startRun({
          config: sinusoidConfig({ epochs: 1_000_000, evalEvery: 1_000_000, gridPoints: 10, predictiveDraws: 2 }),
        });
        const final = await Promise.race([
          manager.waitForRun(run.id),
          new Promise<never>((_, reject) =>
            setTimeout(
              () => reject(new Error('The run was still not finished 60 s after starting on a 3 MB disk.')),
              60_000,
            ),
          ),
        ]);
        expect(final.state).toBe('failed');
        expect(final.message).toMatch(
          new RegExp(
            `^Run "${run.id}" failed at step \\d+: Disk full: .* could not be written to .*\\(ENOSPC\\); everything stored before is kept\\.`,
          ),
        );

        // On disk: run.json says failed (the run's reserve made room for it), the log is whole.
        const stored = await new RunStore(runsDir, { access: { mode: 'read-only', reason: 'checking' } }).readRecord(
          run.id,
        );
        expect(stored).toMatchObject({ state: 'failed', message: final.message });
        const lines = (await fs.readFile(path.join(runsDir, run.id, 'events.ndjson'), 'utf8')).split('\n');
        expect(lines.pop()).toBe(''); // ends with a newline: no partial line
        const events = lines.map((line) => runEventSchema.parse(JSON.parse(line)));
        const metricSteps = events.flatMap((event) => (event.type === 'metrics' ? [event.step] : []));
        expect(metricSteps.length).toBeGreaterThan(1000);
        expect(metricSteps).toEqual(Array.from({ length: metricSteps.length }, (_, index) => index + 1)); // none lost, none twice
        const finalStatus = events.filter((event) => event.type === 'status' && event.state === 'failed');
        expect(finalStatus.every((event) => event.type === 'status' && event.message === final.message)).toBe(true); // present if it fitted
        expect((await allFiles(runsDir)).filter((name) => name.endsWith('.tmp') || name.includes('.reserve'))).toEqual(
          [],
        );

        // A new run on the full disk is refused, and leaves no folder without run.json behind.
        await fillDisk(path.join(runsDir, 'filler'));
        await expect(manager.startRun({ config: sinusoidConfig({ epochs: 10 }) })).rejects.toThrow(
          /Disk full: the new run folder of run ".*" could not be written/,
        );
        expect((await fs.readdir(runsDir)).sort()).toEqual([run.id, 'filler'].sort());
        expect((await manager.listRuns()).damaged).toEqual([]);
      } finally {
        await manager.close(1000);
      }
    },
  );

  // What an idle machine did: a fast worker finished before any timed flush met the full disk, so
  // the only failing write was the flush at the run's end, and the run was recorded `completed`
  // with most of its events missing. Here no timed flush happens during the run at all.
  it(
    'fails a run whose disk fills only in the flush at its end, instead of recording it completed',
    { timeout: 120_000 },
    async () => {
      const warnings: string[] = [];
      const manager = new RunManager({
        store: new RunStore(runsDir, { flushIntervalMs: 600_000 }),
        totalSteps: totalStepsOf,
        workerUrl: fakeWorkerUrl,
        recordWriteIntervalMs: 600_000,
        warn: (message) => warnings.push(message),
      });
      try {
        // 40,000 events of about 150 bytes: twice what the 3 MB disk holds.
        const run = await manager.startRun({
          config: sinusoidConfig({ epochs: 20_000, evalEvery: 1_000_000, gridPoints: 10, predictiveDraws: 2 }),
        });
        const final = await manager.waitForRun(run.id);
        expect(final.state).toBe('failed');
        expect(final.message).toMatch(
          new RegExp(
            `^Run "${run.id}" failed at step \\d+: Disk full: events.ndjson of run .* \\(ENOSPC\\); everything stored before is kept\\.`,
          ),
        );
        const stored = await new RunStore(runsDir, { access: { mode: 'read-only', reason: 'checking' } }).readRecord(
          run.id,
        );
        expect(stored).toMatchObject({ state: 'failed', message: final.message });
        const lines = (await fs.readFile(path.join(runsDir, run.id, 'events.ndjson'), 'utf8')).split('\n');
        expect(lines.pop()).toBe('');
        const events = lines.map((line) => runEventSchema.parse(JSON.parse(line)));
        const metricSteps = events.flatMap((event) => (event.type === 'metrics' ? [event.step] : []));
        expect(metricSteps.length).toBeGreaterThan(1000);
        expect(metricSteps.length).toBeLessThan(20_000); // the disk really was full
        expect(metricSteps).toEqual(Array.from({ length: metricSteps.length }, (_, index) => index + 1));
        expect((await allFiles(runsDir)).filter((name) => name.endsWith('.tmp') || name.includes('.reserve'))).toEqual(
          [],
        );
        expect(warnings.filter((warning) => warning.includes('finished but its files'))).toEqual([]);
      } finally {
        await manager.close(1000);
      }
    },
  );
});

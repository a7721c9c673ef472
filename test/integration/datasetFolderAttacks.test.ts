/**
 * An `idx:` folder built to hurt the host: IDX files that are links to /dev/zero (stat: 0 bytes; a
 * read never ends) and a FIFO classes.txt (opening it blocks a libuv thread until someone writes).
 * Started by a caller that may name host paths (the desktop app's window; the host services in
 * process, with the real training worker), the run must fail at once with a clear message, and
 * every other request must be answered meanwhile. A browser-shell token holder, over a real `serve`
 * process and WebSocket, cannot start a run on a host folder at all.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../core/contract/workbenchApi';
import { openHostServices, type HostServices } from '../../electron/host/hostServices';
import { startServeWithClient, type ServeApiClient } from '../fixtures/serveApiClient';

let tempDir: string;
let services: HostServices;
/** The desktop window's caller: it may name host paths (it has a path grant). */
const desktopCaller = { pathGrant: () => false };

beforeAll(async () => {
  tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-idx-attack-'));
  services = await openHostServices({ runsDir: path.join(tempDir, 'runs'), shell: 'test' });
}, 90_000);

afterAll(async () => {
  await services?.runManager.close();
  await fs.rm(tempDir, { recursive: true, force: true });
});

function startIdxRun(folder: string): Promise<RunRecord> {
  const config = { experiment: 'lenet5', dataset: `idx:${folder}`, steps: 10, evalEvery: 10, backend: 'cpu' };
  return services.api.call('startRun', [{ config }], desktopCaller) as Promise<RunRecord>;
}

/** The run's final state and message, polling getRun; listRuns must answer within a second meanwhile. */
async function finalStateOf(runId: string, timeoutMs: number): Promise<{ state: string; message?: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const started = performance.now();
    await services.api.call('listRuns', []);
    expect(performance.now() - started).toBeLessThan(1000);
    const record = (await services.api.call('getRun', [runId])) as RunRecord;
    if (['failed', 'completed', 'stopped'].includes(record.state)) return record;
    if (Date.now() > deadline) throw new Error(`Run ${runId} was still ${record.state} after ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function idxFolder(name: string, plant: (folder: string) => Promise<void>): Promise<string> {
  const folder = path.join(tempDir, name);
  await fs.mkdir(folder);
  for (const stem of [
    'train-images-idx3-ubyte',
    'train-labels-idx1-ubyte',
    't10k-images-idx3-ubyte',
    't10k-labels-idx1-ubyte',
  ]) {
    await fs.writeFile(path.join(folder, stem), Buffer.alloc(16));
  }
  await plant(folder);
  return folder;
}

describe('a hostile idx: folder', { timeout: 120_000 }, () => {
  it('with IDX files linked to /dev/zero fails the run at once, and the server keeps answering', async () => {
    const folder = await idxFolder('zero', async (dir) => {
      for (const stem of ['train-images-idx3-ubyte', 't10k-images-idx3-ubyte']) {
        await fs.rm(path.join(dir, stem));
        await fs.symlink('/dev/zero', path.join(dir, stem));
      }
    });
    const started = await startIdxRun(folder);
    const final = await finalStateOf(started.id, 60_000);
    expect(final.state).toBe('failed');
    expect(final.message).toMatch(/The dataset file \S+-images-idx3-ubyte cannot be read \(it is a device\)/);
  });

  it('with FIFOs for a label file and classes.txt fails the run at once, and the server keeps answering', async () => {
    const folder = await idxFolder('fifo', async (dir) => {
      await fs.rm(path.join(dir, 't10k-labels-idx1-ubyte'));
      execFileSync('mkfifo', [path.join(dir, 't10k-labels-idx1-ubyte'), path.join(dir, 'classes.txt')]);
    });
    // Five at once: blocking opens would hold all four libuv threads and stall every file read.
    const runs = await Promise.all(Array.from({ length: 5 }, () => startIdxRun(folder)));
    for (const started of runs) {
      const final = await finalStateOf(started.id, 60_000);
      expect(final.state).toBe('failed');
      expect(final.message).toMatch(/is a named pipe \(FIFO\)|it is a named pipe \(FIFO\)/);
    }
  });

  it('cannot be named by a browser-shell token holder: startRun is refused before anything reads it', async () => {
    const folder = await idxFolder('browser', async () => undefined);
    let server: ServeApiClient | undefined;
    try {
      server = await startServeWithClient(path.join(tempDir, 'serve-runs'));
      const config = { experiment: 'lenet5', dataset: `idx:${folder}`, steps: 10, evalEvery: 10, backend: 'cpu' };
      await expect(server.call('startRun', { config })).rejects.toThrow(/the browser shell never takes host paths/);
      expect(await server.call('listRuns')).toEqual([]);
    } finally {
      await server?.stop();
    }
  });
});

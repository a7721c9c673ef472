/**
 * An `idx:` folder built to hurt the host, through a real `serve` process over a real WebSocket:
 * IDX files that are links to /dev/zero (stat: 0 bytes; a read never ends) and a FIFO classes.txt
 * (opening it blocks a libuv thread until someone writes). The run must fail at once with a clear
 * message, and every other request must be answered meanwhile.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WireReply } from '../../core/contract/workbenchApi';
import { startServe, type ServeProcess } from '../fixtures/serveProcess';

let tempDir: string;
let serve: ServeProcess;
let socket: WebSocket;
let nextId = 1;
const waiting = new Map<number, (reply: WireReply) => void>();

beforeAll(async () => {
  tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-idx-attack-'));
  serve = await startServe(path.join(tempDir, 'runs'));
  const page = new URL(serve.url);
  socket = new WebSocket(`ws://${page.host}/api?token=${page.searchParams.get('token')}`);
  await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString());
    if ('event' in message) return;
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  });
}, 90_000);

afterAll(async () => {
  socket?.close();
  await serve?.stop();
  await fs.rm(tempDir, { recursive: true, force: true });
});

function call(method: string, ...args: unknown[]): Promise<WireReply> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    socket.send(JSON.stringify({ id, method, args }));
  });
}

/** The run's final state and message, polling getRun; listRuns must answer within a second meanwhile. */
async function finalStateOf(runId: string, timeoutMs: number): Promise<{ state: string; message?: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const started = performance.now();
    const listed = await call('listRuns');
    expect(listed.ok).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    const run = await call('getRun', runId);
    const record = (run as { result: { state: string; message?: string } }).result;
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
    const started = await call('startRun', {
      config: { experiment: 'lenet5', dataset: `idx:${folder}`, steps: 10, evalEvery: 10, backend: 'cpu' },
    });
    expect(started.ok).toBe(true);
    const final = await finalStateOf((started as { result: { id: string } }).result.id, 60_000);
    expect(final.state).toBe('failed');
    expect(final.message).toMatch(/The dataset file \S+-images-idx3-ubyte cannot be read \(it is a device\)/);
  });

  it('with FIFOs for a label file and classes.txt fails the run at once, and the server keeps answering', async () => {
    const folder = await idxFolder('fifo', async (dir) => {
      await fs.rm(path.join(dir, 't10k-labels-idx1-ubyte'));
      execFileSync('mkfifo', [path.join(dir, 't10k-labels-idx1-ubyte'), path.join(dir, 'classes.txt')]);
    });
    // Five at once: blocking opens would hold all four libuv threads and stall every file read.
    const runs = await Promise.all(
      Array.from({ length: 5 }, () =>
        call('startRun', {
          config: { experiment: 'lenet5', dataset: `idx:${folder}`, steps: 10, evalEvery: 10, backend: 'cpu' },
        }),
      ),
    );
    for (const started of runs) {
      expect(started.ok).toBe(true);
      const final = await finalStateOf((started as { result: { id: string } }).result.id, 60_000);
      expect(final.state).toBe('failed');
      expect(final.message).toMatch(/is a named pipe \(FIFO\)|it is a named pipe \(FIFO\)/);
    }
  });
});

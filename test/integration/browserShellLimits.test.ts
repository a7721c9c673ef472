/**
 * The browser shell's limits that hold for the whole process, not one connection: a real `serve`
 * process over real WebSockets takes a bounded number of connections and one request budget for
 * all of them (more sockets buy no more requests); a client that stops reading is disconnected
 * instead of buffering its replies without bound; a request that never finishes is answered with
 * an error; and on port 80 the Host header without a port (what browsers send) is accepted.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WireReply } from '../../core/contract/workbenchApi';
import type { ApiHandler } from '../../electron/host/apiHandler';
import type { HostServices } from '../../electron/host/hostServices';
import { defaultMaxConnections, startBrowserShell } from '../../electron/serve';
import { startServe, type ServeProcess } from '../fixtures/serveProcess';

let tempDir: string;
let rendererDir: string;

beforeAll(async () => {
  tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-limits-'));
  rendererDir = path.join(tempDir, 'renderer');
  await fs.mkdir(rendererDir, { recursive: true });
  await fs.writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>workbench</title>');
});

afterAll(async () => {
  await fs.rm(tempDir, { recursive: true, force: true });
});

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

/** Sends `count` requests and collects their replies (pushed events skipped). */
async function burst(socket: WebSocket, count: number, request: (id: number) => object): Promise<WireReply[]> {
  const replies: WireReply[] = [];
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString());
      if ('event' in message) return;
      replies.push(message);
      if (replies.length === count) {
        socket.off('message', onMessage);
        resolve(replies);
      }
    };
    socket.on('message', onMessage);
    for (let id = 1; id <= count; id += 1) socket.send(JSON.stringify({ id, ...request(id) }));
  });
}

describe('a real serve process', { timeout: 120_000 }, () => {
  let serve: ServeProcess;
  let apiUrl: string;

  beforeAll(async () => {
    serve = await startServe(path.join(tempDir, 'runs'));
    const page = new URL(serve.url);
    apiUrl = `ws://${page.host}/api?token=${page.searchParams.get('token')}`;
  }, 90_000);

  afterAll(async () => {
    await serve?.stop();
  });

  it(`takes at most ${defaultMaxConnections} connections at once and refuses the next with 503`, async () => {
    const sockets = await Promise.all(Array.from({ length: defaultMaxConnections }, () => connect(apiUrl)));
    await expect(connect(apiUrl)).rejects.toThrow('HTTP 503');
    const closed = new Promise((resolve) => sockets[0].once('close', resolve));
    sockets[0].close();
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = await connect(apiUrl); // a slot was freed
    const rest = [again, ...sockets.slice(1)];
    await Promise.all(rest.map((socket) => new Promise((resolve) => (socket.once('close', resolve), socket.close()))));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the server notices the closes
  });

  it('refuses configurations the schema accepts but the process cannot afford, naming the number and the limit', async () => {
    const socket = await connect(apiUrl);
    const base = {
      experiment: 'sinusoid',
      epochs: 50,
      learningRate: 0.03,
      prior: { kind: 'normal', scale: 1 },
      kl: 'analytic',
      init: {},
    };
    const [memory, events] = await burst(socket, 2, (id) => ({
      method: 'startRun',
      args: [
        {
          config:
            id === 1
              ? { ...base, hiddenUnits: Array(8).fill(1024), samplesPerStep: 256 }
              : { ...base, gridPoints: 10_000, predictiveDraws: 2, evalEvery: 1 },
        },
      ],
    }));
    expect(memory).toMatchObject({
      ok: false,
      error: expect.stringMatching(
        /^startRun: This configuration needs about [\d.]+ GB of memory for one training step \(hidden units 8×1024, 256 samples per step\); the workbench allows 2 GB\. Lower samplesPerStep or hiddenUnits\.$/,
      ),
    });
    expect(events).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^startRun: This configuration writes about \d+ kB of events per training step/),
    });
    const [listed] = await burst(socket, 1, () => ({ method: 'listRuns', args: [] }));
    expect(listed).toEqual({ id: 1, ok: true, result: [] }); // nothing was queued
    await new Promise((resolve) => (socket.once('close', resolve), socket.close()));
  });

  it('shares one request budget among all connections: five sockets get what one gets', async () => {
    const sockets = await Promise.all(Array.from({ length: 5 }, () => connect(apiUrl)));
    // startRun (work that queues training): 5 × 20 at once. Invalid configs, so nothing trains;
    // the budget is taken before validation, so a flood costs no more than this.
    const started = performance.now();
    const runReplies = (
      await Promise.all(
        sockets.map((socket) =>
          burst(socket, 20, () => ({ method: 'startRun', args: [{ config: { experiment: 'sinusoid', epochs: -1 } }] })),
        ),
      )
    ).flat();
    const runSeconds = (performance.now() - started) / 1000;
    const runRefused = runReplies.filter((reply) => !reply.ok && /^Too many requests/.test(reply.error));
    // A per-connection limit let all 100 through to validation (and 1,000 valid ones queued in 2.6 s);
    // the test before took 2 of the burst of 20.
    expect(runReplies.length - runRefused.length).toBeLessThanOrEqual(20 + Math.ceil(2 * runSeconds) + 1);
    expect(runRefused[0]).toMatchObject({
      ok: false,
      error: expect.stringMatching(
        /^Too many requests: startRun \(with the other methods that queue work\) takes 2 per second from all connections together \(bursts of 20\); this one was refused, try again in \d+ ms\.$/,
      ),
    });

    const readStarted = performance.now();
    const readReplies = (
      await Promise.all(sockets.map((socket) => burst(socket, 120, () => ({ method: 'getEnvironment', args: [] }))))
    ).flat();
    const readSeconds = (performance.now() - readStarted) / 1000;
    const answered = readReplies.filter((reply) => reply.ok).length;
    // One bucket of 200 (minus the 100 startRun above and the few requests before), 50 per second: far from 5 × 120.
    expect(answered).toBeLessThanOrEqual(200 - 100 + Math.ceil(50 * (runSeconds + readSeconds)) + 5);
    expect(readReplies.find((reply) => !reply.ok)).toMatchObject({
      error: expect.stringMatching(
        /^Too many requests: the workbench takes 50 per second from all connections together \(bursts of 200\)/,
      ),
    });
    for (const socket of sockets) socket.close();
  });
});

describe('a client that stops reading', () => {
  it(
    'is disconnected once its unread replies pass the limit, instead of buffering them without end',
    { timeout: 60_000 },
    async () => {
      const shell = await startBrowserShell({
        port: 0,
        host: '127.0.0.1',
        runsDir: path.join(tempDir, 'slow-runs'),
        rendererDir,
        rateLimit: { burst: 1e6, perSecond: 1e6 },
        slowClientCloseBytes: 256 * 1024,
      });
      try {
        const socket = await connect(`ws://127.0.0.1:${shell.port}/api?token=${shell.token}`);
        const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
        socket.pause(); // reads nothing from here on: the kernel's buffers fill, then the server's
        // listExperiments replies are a few kB each; together far more than the socket buffers hold.
        for (let id = 1; id <= 6000; id += 1) socket.send(JSON.stringify({ id, method: 'listExperiments', args: [] }));
        const deadline = Date.now() + 40_000;
        while (shell.connections > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(shell.connections).toBe(0);
        socket.resume();
        expect([1006, 1008]).toContain(await closed);
      } finally {
        await shell.close();
      }
    },
  );
});

describe('a request that never finishes', () => {
  it('is answered with an error after its timeout, and the connection goes on', async () => {
    const never = new Promise<never>(() => {});
    const api: ApiHandler = {
      call: (method) =>
        method === 'getRun' ? never : Promise.resolve({ shell: 'test', version: '0', runsDir: '/runs' }),
      onRunEvent: () => () => {},
    };
    const services = { api, runManager: { close: async () => {} } } as unknown as HostServices;
    const shell = await startBrowserShell({
      port: 0,
      host: '127.0.0.1',
      runsDir: tempDir,
      rendererDir,
      services,
      requestTimeoutMs: 300,
    });
    try {
      const socket = await connect(`ws://127.0.0.1:${shell.port}/api?token=${shell.token}`);
      const [hung] = await burst(socket, 1, () => ({ method: 'getRun', args: ['some-run'] }));
      expect(hung).toEqual({
        id: 1,
        ok: false,
        error:
          "getRun did not finish within 0.3 s and was abandoned; the host may be busy — try again, or look at the server's log.",
      });
      const [fine] = await burst(socket, 1, () => ({ method: 'getEnvironment', args: [] }));
      expect(fine).toMatchObject({ ok: true });
      socket.close();
    } finally {
      await shell.close();
    }
  });
});

describe('port 80', () => {
  it('accepts the Host and Origin browsers send on the default port (no ":80")', async () => {
    // Another loopback address than 127.0.0.1, so a web server of the machine on :80 is not in the way.
    const shell = await startBrowserShell({
      port: 80,
      host: '127.0.0.2',
      runsDir: path.join(tempDir, 'port80-runs'),
      rendererDir,
    });
    try {
      const url = `ws://127.0.0.2/api?token=${shell.token}`;
      const socket = await connect(url, { host: '127.0.0.2', origin: 'http://127.0.0.2' });
      const [reply] = await burst(socket, 1, () => ({ method: 'getEnvironment', args: [] }));
      expect(reply).toMatchObject({ ok: true });
      socket.close();
      const explicit = await connect(url, { host: '127.0.0.2:80', origin: 'http://127.0.0.2:80' });
      explicit.close();
      // DNS rebinding is still refused.
      await expect(connect(url, { host: 'evil.example', origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    } finally {
      await shell.close();
    }
  });
});

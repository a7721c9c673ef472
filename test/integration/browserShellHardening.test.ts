/**
 * The browser shell's defences: token and Origin/Host checks on the WebSocket upgrade, errors
 * (not disconnections) for oversized, malformed and over-the-rate-limit messages, and 1,000
 * fuzzed messages that must each be answered or refused without harming the run store.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sinusoidPresets } from '../../core/experiments/sinusoid/presets';
import { apiMethodNames, type WireReply } from '../../core/contract/workbenchApi';
import { isLoopbackHost, startBrowserShell, type BrowserShell } from '../../electron/serve';

let tempDir: string;
let runsDir: string;
let shell: BrowserShell;
let limited: BrowserShell;

beforeAll(async () => {
  tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-hardening-'));
  const rendererDir = path.join(tempDir, 'renderer');
  await fs.mkdir(rendererDir, { recursive: true });
  await fs.writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>workbench</title>');
  runsDir = path.join(tempDir, 'runs');
  // The fuzzer must reach validation, not the rate limit; the limit gets its own shell.
  shell = await startBrowserShell({
    port: 0,
    host: '127.0.0.1',
    runsDir,
    rendererDir,
    rateLimit: { burst: 1e6, perSecond: 1e6 },
  });
  limited = await startBrowserShell({
    port: 0,
    host: '127.0.0.1',
    runsDir: path.join(tempDir, 'limited-runs'),
    rendererDir,
    rateLimit: { burst: 5, perSecond: 10 },
  });
});

afterAll(async () => {
  await shell?.close();
  await limited?.close();
  await fs.rm(tempDir, { recursive: true, force: true });
});

const apiUrl = (target: BrowserShell, token = target.token) => `ws://127.0.0.1:${target.port}/api?token=${token}`;

function connect(url: string, headers: { origin?: string; host?: string } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      ...(headers.origin ? { origin: headers.origin } : {}),
      ...(headers.host ? { headers: { host: headers.host } } : {}),
    });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

/** Replies in arrival order; pushed run events are skipped. */
function replies(socket: WebSocket) {
  const queue: WireReply[] = [];
  const waiting: Array<(reply: WireReply) => void> = [];
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString());
    if ('event' in message) return;
    const next = waiting.shift();
    if (next) next(message);
    else queue.push(message);
  });
  return {
    next: (): Promise<WireReply> =>
      queue.length ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiting.push(resolve)),
    send: (text: string | Buffer) => socket.send(text),
  };
}

async function exchange(channel: ReturnType<typeof replies>, text: string | Buffer): Promise<WireReply> {
  channel.send(text);
  return channel.next();
}

describe('WebSocket upgrade checks', () => {
  it('refuses a missing or wrong token, a foreign Origin and a foreign Host', async () => {
    const origin = `http://127.0.0.1:${shell.port}`;
    await expect(connect(`ws://127.0.0.1:${shell.port}/api`, { origin })).rejects.toThrow('HTTP 401');
    await expect(connect(apiUrl(shell, 'x'.repeat(shell.token.length)), { origin })).rejects.toThrow('HTTP 401');
    await expect(connect(apiUrl(shell, `${shell.token}x`), { origin })).rejects.toThrow('HTTP 401');
    await expect(connect(apiUrl(shell), { origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(connect(apiUrl(shell), { origin: `https://127.0.0.1:${shell.port}` })).rejects.toThrow('HTTP 403');
    await expect(connect(apiUrl(shell), { origin: 'null' })).rejects.toThrow('HTTP 403');
    // DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends its own name as Host.
    await expect(
      connect(apiUrl(shell), { origin: `http://evil.example:${shell.port}`, host: `evil.example:${shell.port}` }),
    ).rejects.toThrow('HTTP 403');
    const accepted = await connect(apiUrl(shell), { origin });
    accepted.close();
  });

  it('treats only loopback addresses as private', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '127.0.0.1.example.com'])
      expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('messages the shell refuses without dropping the connection', () => {
  it('answers oversized, malformed and ill-typed messages with errors, then serves a valid one', async () => {
    const socket = await connect(apiUrl(shell));
    const channel = replies(socket);
    const cases: Array<[string | Buffer, RegExp]> = [
      [
        JSON.stringify({ id: 1, method: 'listRuns', args: [], padding: 'p'.repeat(2_000_000) }),
        /requests are limited to 1048576 bytes/,
      ],
      [
        JSON.stringify({ id: 1, method: 'classifyImageFiles', args: [], padding: 'p'.repeat(12_000_000) }),
        /requests are limited to 1048576 bytes \(classifyImageFiles: \d+\)/,
      ],
      ['{"id": 1, "method": ', /not valid JSON/],
      [Buffer.from([0xff, 0xfe, 0x00, 0x01]), /not valid JSON/],
      ['null', /not a WorkbenchApi request/],
      ['[1, 2, 3]', /not a WorkbenchApi request/],
      [JSON.stringify({ id: 1.5, method: 'listRuns', args: [] }), /not a WorkbenchApi request/],
      [JSON.stringify({ id: 2, method: 'listRuns', args: {} }), /not a WorkbenchApi request/],
      [JSON.stringify({ id: 3, method: '__proto__', args: [] }), /no API method/],
      [JSON.stringify({ id: 4, method: 'getRun', args: [{ toString: 'x' }] }), /arguments are not valid/],
      [JSON.stringify({ id: 5, method: 'getRun', args: Array(17).fill('a') }), /not a WorkbenchApi request/],
    ];
    for (const [message, error] of cases) {
      const reply = await exchange(channel, message);
      expect(reply.ok, String(message).slice(0, 80)).toBe(false);
      expect(!reply.ok && reply.error).toMatch(error);
    }
    expect(await exchange(channel, JSON.stringify({ id: 9, method: 'getEnvironment', args: [] }))).toMatchObject({
      id: 9,
      ok: true,
    });
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
  });

  it('refuses requests over the rate limit with an error that names the limit, then recovers', async () => {
    const socket = await connect(apiUrl(limited));
    const channel = replies(socket);
    for (let id = 1; id <= 20; id += 1) channel.send(JSON.stringify({ id, method: 'getEnvironment', args: [] }));
    const burst = await Promise.all(Array.from({ length: 20 }, () => channel.next()));
    const refused = burst.filter((reply) => !reply.ok);
    expect(burst.filter((reply) => reply.ok).length).toBeGreaterThanOrEqual(5);
    expect(refused.length).toBeGreaterThanOrEqual(10);
    expect(refused[0]).toMatchObject({
      ok: false,
      error: expect.stringMatching(
        /^Too many requests: the workbench takes 10 per second from all connections together \(bursts of 5\)/,
      ),
    });
    // Refusals carry the request's id, so the client's pending call fails instead of hanging.
    expect(refused.every((reply) => typeof reply.id === 'number')).toBe(true);
    expect(socket.readyState).toBe(WebSocket.OPEN);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await exchange(channel, JSON.stringify({ id: 99, method: 'getEnvironment', args: [] }))).toMatchObject({
      id: 99,
      ok: true,
    });
    socket.close();
  });
});

/** Every file under `dir`, relative path → contents. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    try {
      files.set(path.relative(dir, file), await fs.readFile(file, 'base64'));
    } catch (error) {
      // A temporary file renamed between readdir and readFile: the next snapshot sees the result.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return files;
}

/** A snapshot that two reads 300 ms apart agree on. */
async function settledSnapshot(dir: string): Promise<Map<string, string>> {
  let previous = await snapshot(dir);
  for (let attempt = 0; attempt < 30; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const current = await snapshot(dir);
    if (JSON.stringify([...current]) === JSON.stringify([...previous])) return current;
    previous = current;
  }
  throw new Error(`${dir} kept changing for 9 s after the run completed.`);
}

describe('1,000 fuzzed messages', () => {
  it(
    'are each answered or refused; the server lives and the run store is untouched',
    { timeout: 120_000 },
    async () => {
      const socket = await connect(apiUrl(shell));
      const channel = replies(socket);

      // One completed run the fuzzer may name but must not damage.
      const config = { ...sinusoidPresets[0].config, epochs: 3, evalEvery: 3, predictiveDraws: 5, gridPoints: 20 };
      const started = await exchange(
        channel,
        JSON.stringify({ id: 1, method: 'startRun', args: [{ config, name: 'keep me' }] }),
      );
      expect(started).toMatchObject({ ok: true });
      const runId = (started as { result: { id: string } }).result.id;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const run = await exchange(channel, JSON.stringify({ id: 2, method: 'getRun', args: [runId] }));
        if (run.ok && (run.result as { state: string }).state === 'completed') break;
        if (Date.now() > deadline) throw new Error('The run the fuzz test guards did not complete in 60 s.');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // The host may still be writing the run's last files (checkpoint, run.json) after "completed".
      const before = await settledSnapshot(runsDir);
      const listed = await exchange(channel, JSON.stringify({ id: 3, method: 'listRuns', args: [] }));
      expect([...before.keys()]).toContain(path.join(runId, 'events.ndjson'));

      // Read-only methods may get the real run id; the others only random ones, which name no run.
      const readMethods = ['getEnvironment', 'listExperiments', 'listRuns', 'getRun', 'getRunEvents'];
      const json = fc.jsonValue({ maxDepth: 3 });
      const wireLike = fc.record(
        {
          id: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
          method: fc.oneof(
            fc.constantFrom(...apiMethodNames),
            fc.string({ maxLength: 80 }),
            fc.constantFrom('__proto__', 'constructor', 'toString', 'call'),
          ),
          args: fc.oneof(fc.array(json, { maxLength: 4 }), json),
        },
        { requiredKeys: [] },
      );
      const readOfRealRun = fc.record({
        id: fc.integer(),
        method: fc.constantFrom(...readMethods),
        args: fc.constant([runId]),
      });
      const message = fc.oneof(
        wireLike.map((value) => JSON.stringify(value)),
        readOfRealRun.map((value) => JSON.stringify(value)),
        json.map((value) => JSON.stringify(value) ?? 'undefined'),
        fc.string({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      );

      const samples = fc.sample(message, { numRuns: 1000, seed: 20260505 });
      let answered = 0;
      for (const sample of samples) {
        const reply = await exchange(channel, sample);
        expect(typeof reply.ok).toBe('boolean');
        if (!reply.ok) expect(reply.error).toMatch(/^\S.*[.)]$/s); // a sentence, not a stack trace
        answered += 1;
      }
      expect(answered).toBe(1000);
      expect(socket.readyState).toBe(WebSocket.OPEN);

      // Alive for this connection and for a new one; the same runs, byte for byte.
      expect(await exchange(channel, JSON.stringify({ id: 4, method: 'listRuns', args: [] }))).toEqual({
        ...listed,
        id: 4,
      });
      const fresh = await connect(apiUrl(shell));
      expect(
        await exchange(replies(fresh), JSON.stringify({ id: 5, method: 'getEnvironment', args: [] })),
      ).toMatchObject({ id: 5, ok: true });
      expect(await snapshot(runsDir)).toEqual(before);
      fresh.close();
      socket.close();
    },
  );
});

import { promises as fs } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sinusoidPresets } from '../../core/experiments/sinusoid/presets';
import type { RunEvent } from '../../core/contract/runEvent';
import type { WireReply } from '../../core/contract/workbenchApi';
import { startBrowserShell, type BrowserShell } from '../../electron/serve';

let shell: BrowserShell;
let tempDir: string;
let base: string;

beforeAll(async () => {
  tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-serve-'));
  const rendererDir = path.join(tempDir, 'renderer');
  await fs.mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await fs.writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>workbench</title>');
  await fs.writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  await fs.writeFile(path.join(tempDir, 'secret.txt'), 'not for the browser');
  shell = await startBrowserShell({ port: 0, host: '127.0.0.1', runsDir: path.join(tempDir, 'runs'), rendererDir });
  base = `http://127.0.0.1:${shell.port}`;
});

afterAll(async () => {
  await shell?.close();
  await fs.rm(tempDir, { recursive: true, force: true });
});

function connect(url: string, origin: string | undefined = base): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, origin ? { origin } : {});
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

/** Sends raw text and resolves with the next reply (pushed events are collected aside). */
function exchange(socket: WebSocket, text: string, pushed: RunEvent[] = []): Promise<WireReply> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString());
      if ('event' in message) {
        pushed.push(message.event);
        return;
      }
      socket.off('message', onMessage);
      resolve(message);
    };
    socket.on('message', onMessage);
    socket.send(text);
  });
}

/** fetch() would normalise "..", so probe path escapes with a raw request. */
function rawStatus(requestPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: shell.port, path: requestPath }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

const apiUrl = () => `ws://127.0.0.1:${shell.port}/api?token=${shell.token}`;

describe('browser shell over HTTP', () => {
  it('prints a page URL carrying the token', () => {
    expect(shell.url).toBe(`http://127.0.0.1:${shell.port}/?token=${shell.token}`);
    expect(shell.token.length).toBeGreaterThanOrEqual(32);
  });

  it('serves the renderer with content types, falls back to index.html for app routes, 404s the rest', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const script = await fetch(`${base}/assets/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await (await fetch(`${base}/runs/some-run`)).text()).toContain('<title>workbench</title>');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    for (const escape of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt'])
      expect(await rawStatus(escape)).toBe(404);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
  });
});

describe('browser shell WebSocket API', () => {
  it('refuses connections without the token, on another path, or from another origin', async () => {
    await expect(connect(`ws://127.0.0.1:${shell.port}/api`)).rejects.toThrow('HTTP 401');
    await expect(connect(`ws://127.0.0.1:${shell.port}/api?token=${shell.token.slice(1)}x`)).rejects.toThrow(
      'HTTP 401',
    );
    await expect(connect(`ws://127.0.0.1:${shell.port}/other?token=${shell.token}`)).rejects.toThrow('HTTP 404');
    await expect(connect(apiUrl(), 'http://evil.example')).rejects.toThrow('HTTP 403');
  });

  it('answers malformed, oversized and invalid requests with errors and keeps the connection', async () => {
    const socket = await connect(apiUrl());
    expect(await exchange(socket, '{not json')).toMatchObject({
      id: null,
      ok: false,
      error: expect.stringMatching(/^The request is not valid JSON/),
    });
    // Under the upload limit (classifyImageFiles) a request is parsed, so its refusal carries its id.
    expect(
      await exchange(socket, JSON.stringify({ id: 1, method: 'getRun', args: ['x'], padding: 'y'.repeat(1_100_000) })),
    ).toMatchObject({
      id: 1,
      ok: false,
      error: expect.stringMatching(/requests are limited to 1048576 bytes/),
    });
    expect(await exchange(socket, JSON.stringify({ id: 2, method: 'getRun' }))).toMatchObject({
      id: 2,
      ok: false,
      error: expect.stringMatching(/args/),
    });
    expect(await exchange(socket, JSON.stringify({ id: 3, method: 'nope', args: [] }))).toMatchObject({
      id: 3,
      ok: false,
      error: expect.stringMatching(/no API method "nope"/),
    });
    expect(await exchange(socket, JSON.stringify({ id: 4, method: 'getEnvironment', args: [] }))).toEqual({
      id: 4,
      ok: true,
      result: { shell: 'browser', version: expect.any(String), runsDir: path.join(tempDir, 'runs') },
    });
    socket.close();
  });

  it('starts a run and pushes its events until it completes', { timeout: 60_000 }, async () => {
    const socket = await connect(apiUrl());
    const pushed: RunEvent[] = [];
    const config = { ...sinusoidPresets[0].config, epochs: 5, evalEvery: 5, predictiveDraws: 10, gridPoints: 50 };
    const reply = await exchange(
      socket,
      JSON.stringify({ id: 1, method: 'startRun', args: [{ config, name: 'over the wire' }] }),
      pushed,
    );
    expect(reply).toMatchObject({ id: 1, ok: true, result: { name: 'over the wire', state: 'queued' } });
    const runId = (reply as { result: { id: string } }).result.id;
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if ('event' in message) pushed.push(message.event);
    });
    const deadline = Date.now() + 50_000;
    while (!pushed.some((event) => event.type === 'status' && event.state === 'completed') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(
      pushed.filter((event) => event.type === 'status').map((event) => event.type === 'status' && event.state),
    ).toEqual(['queued', 'running', 'completed']);
    expect(pushed.every((event) => event.runId === runId)).toBe(true);
    const events = await exchange(socket, JSON.stringify({ id: 2, method: 'getRunEvents', args: [runId] }));
    expect(events.ok && (events.result as RunEvent[]).filter((event) => event.type === 'metrics')).toHaveLength(5);
    socket.close();
  });
});

describe('npm run serve', () => {
  it('prints exactly one stdout line with the URL and stops cleanly on SIGTERM', { timeout: 60_000 }, async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'electron/serve.ts', '--port', '0', '--runs-dir', path.join(tempDir, 'cli-runs')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const url = /Bayesian Workbench: (http\S+)/.exec(stdout)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
    const page = await fetch(url!);
    expect([200, 404]).toContain(page.status); // 404 only when the renderer is not built
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

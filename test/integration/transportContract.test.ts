/**
 * The transport contract: the renderer's two hosts — the WebSocket client against a real browser
 * shell, and the Electron preload's `window.workbench` over main's IPC handlers — drive ONE set
 * of host services with the same sequence of calls and must see identical results, identical
 * errors and identical pushed events. Electron is replaced by an in-process fake of
 * ipcMain/ipcRenderer/contextBridge (./fakeElectronIpc); the preload file itself runs unchanged.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { sinusoidPresets } from '../../core/experiments/sinusoid/presets';
import type { RunEvent } from '../../core/contract/runEvent';
import type { WorkbenchApi } from '../../core/contract/workbenchApi';
import type { WorkbenchDesktop } from '../../core/contract/desktopChannels';
import { openHostServices, type HostServices } from '../../electron/host/hostServices';
import { startBrowserShell, type BrowserShell } from '../../electron/serve';
import { registerApiHandlers, registerDesktopHandlers } from '../../electron/shell/ipc';
import { PathGrants } from '../../electron/shell/pathGrants';
import { isTrustedSender } from '../../electron/shell/security';
import { createPreloadHost } from '../../renderer/src/api/preloadApi';
import { createWebSocketHost } from '../../renderer/src/api/webSocketApi';
import { fakeElectron } from './fakeElectronIpc';
import { writeLenet5RunWithCheckpoint } from '../fixtures/lenet5Checkpoint';
import { writeOodFixtureFiles, type OodFixtureFiles } from '../fixtures/oodImageFiles';

vi.mock('electron', async () => {
  const { fakeElectron: fake } = await import('./fakeElectronIpc');
  return { contextBridge: fake.contextBridge, ipcRenderer: fake.ipcRenderer, webUtils: fake.webUtils };
});

let tempDir: string;
let services: HostServices;
let shell: BrowserShell;
let viaSocket: WorkbenchApi;
let viaIpc: WorkbenchApi;
let desktop: WorkbenchDesktop;
const savedFiles: Array<{ defaultName: string; bytes: Uint8Array }> = [];
const pathGrants = new PathGrants();
const pickedPaths: string[] = [];
let imageFiles: OodFixtureFiles;
const lenet5RunId = 'lenet5-classifier';
const eventsViaSocket: RunEvent[] = [];
const eventsViaIpc: RunEvent[] = [];

/** The renderer's WebSocket host uses the browser's WebSocket; in Node, ws's is the same API. */
class NodeWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
  }
}

beforeAll(async () => {
  tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-transports-'));
  const rendererDir = path.join(tempDir, 'renderer');
  await fs.mkdir(rendererDir, { recursive: true });
  await fs.writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>workbench</title>');
  await writeLenet5RunWithCheckpoint(path.join(tempDir, 'runs'), lenet5RunId);
  imageFiles = await writeOodFixtureFiles(path.join(tempDir, 'images'));
  services = await openHostServices({ runsDir: path.join(tempDir, 'runs'), shell: 'test', warn: () => {} });

  // The browser shell over the shared host, and the renderer's WebSocket client against it.
  shell = await startBrowserShell({
    port: 0,
    host: '127.0.0.1',
    runsDir: path.join(tempDir, 'unused'),
    rendererDir,
    services,
  });
  vi.stubGlobal('WebSocket', NodeWebSocket);
  viaSocket = createWebSocketHost(`ws://127.0.0.1:${shell.port}/api?token=${shell.token}`).api;

  // Electron: main's handlers (as main.ts registers them) and the real preload over the fake IPC.
  const trusted = (event: Parameters<typeof isTrustedSender>[0]) =>
    isTrustedSender(event, fakeElectron.window as never);
  registerApiHandlers(fakeElectron.ipcMain, services.api, trusted, pathGrants);
  registerDesktopHandlers(
    fakeElectron.ipcMain,
    {
      saveFile: async (request) => {
        savedFiles.push(request);
        return `/exports/${request.defaultName}`;
      },
      openRunsFolder: async () => {},
      setQueueUrl: async (url) => url,
      pickImageFiles: async () => pickedPaths,
      pathGrants,
    },
    trusted,
  );
  services.api.onRunEvent((event) => fakeElectron.webContents.send('workbench:run-event', event));
  await import('../../electron/preload');
  viaIpc = createPreloadHost(fakeElectron.exposed.get('workbench') as WorkbenchApi).api;
  desktop = fakeElectron.exposed.get('workbenchDesktop') as WorkbenchDesktop;

  viaSocket.onRunEvent((event) => eventsViaSocket.push(event));
  viaIpc.onRunEvent((event) => eventsViaIpc.push(event));
});

afterAll(async () => {
  vi.unstubAllGlobals();
  await shell?.close();
  await services?.runManager.close();
  await fs.rm(tempDir, { recursive: true, force: true });
});

/** A call's outcome as a comparable value: the result, or the error's class name and sentence. */
async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: true, result: await call() };
  } catch (error) {
    return { ok: false, name: (error as Error).name, message: (error as Error).message };
  }
}

async function both(call: (api: WorkbenchApi) => Promise<unknown>): Promise<unknown> {
  const [socket, ipc] = [await outcome(() => call(viaSocket)), await outcome(() => call(viaIpc))];
  expect(ipc).toEqual(socket);
  return socket;
}

const tinySinusoid = {
  ...sinusoidPresets[0].config,
  epochs: 4,
  evalEvery: 2,
  predictiveDraws: 10,
  gridPoints: 40,
  seed: 3,
};

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Waited ${timeoutMs} ms for a condition that did not come true.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('WorkbenchApi over WebSocket and over Electron IPC', () => {
  it('exposes exactly the API through contextBridge', () => {
    const bridge = fakeElectron.exposed.get('workbench') as Record<string, unknown>;
    expect([...fakeElectron.exposed.keys()].sort()).toEqual(['workbench', 'workbenchDesktop']);
    expect(Object.values(bridge).every((value) => typeof value === 'function')).toBe(true);
    expect(Object.keys(bridge)).toContain('onRunEvent');
  });

  it('answers the same reads identically', async () => {
    expect(await both((api) => api.getEnvironment())).toMatchObject({ ok: true, result: { shell: 'test' } });
    expect(await both((api) => api.listExperiments())).toMatchObject({
      ok: true,
      result: expect.arrayContaining([expect.objectContaining({ name: 'sinusoid' })]),
    });
    expect(await both((api) => api.listRuns())).toMatchObject({
      ok: true,
      result: [expect.objectContaining({ id: lenet5RunId })],
    });
  });

  it('fails the same invalid calls with the same WorkbenchApiError sentences', async () => {
    const missing = await both((api) => api.getRun('no-such-run'));
    expect(missing).toMatchObject({ ok: false, name: 'WorkbenchApiError' });
    expect(await both((api) => api.getRun('../escape'))).toMatchObject({
      ok: false,
      name: 'WorkbenchApiError',
      message: expect.stringMatching(/arguments are not valid/),
    });
    expect(await both((api) => api.startRun({ config: { ...tinySinusoid, epochs: -1 } }))).toMatchObject({
      ok: false,
      name: 'WorkbenchApiError',
    });
    expect(await both((api) => (api.getRun as (...args: unknown[]) => Promise<unknown>)('a', 'b'))).toMatchObject({
      ok: false,
      name: 'WorkbenchApiError',
    });
    expect(await both((api) => api.stopRun('no-such-run'))).toMatchObject({ ok: false });
  });

  it(
    'starts a run through one transport; both see the same events, records and logs',
    { timeout: 90_000 },
    async () => {
      const started = (await outcome(() => viaIpc.startRun({ config: tinySinusoid, name: 'over IPC' }))) as {
        ok: boolean;
        result: { id: string };
      };
      expect(started).toMatchObject({ ok: true, result: { name: 'over IPC', state: 'queued' } });
      const runId = started.result.id;
      const finished = (events: RunEvent[]) =>
        events.some((event) => event.runId === runId && event.type === 'status' && event.state === 'completed');
      await waitFor(() => finished(eventsViaSocket) && finished(eventsViaIpc), 80_000);
      const runEvents = eventsViaIpc.filter((event) => event.runId === runId);
      expect(runEvents.map((event) => event.type)).toEqual(expect.arrayContaining(['status', 'metrics', 'regression']));
      expect(runEvents).toEqual(eventsViaSocket.filter((event) => event.runId === runId));

      // The host may still be writing the run's last state (its checkpoint) just after "completed".
      let previous = JSON.stringify(await viaIpc.getRun(runId));
      for (let settled = false; !settled;) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const current = JSON.stringify(await viaIpc.getRun(runId));
        settled = current === previous;
        previous = current;
      }
      expect(await both((api) => api.getRun(runId))).toMatchObject({
        ok: true,
        result: { id: runId, state: 'completed' },
      });
      expect(await both((api) => api.getRunEvents(runId))).toMatchObject({ ok: true });
      expect(await both((api) => api.listRuns())).toMatchObject({
        ok: true,
        result: expect.arrayContaining([expect.objectContaining({ id: runId })]),
      });
      await both((api) => api.stopRun(runId));
    },
  );
});

describe('Electron-only IPC', () => {
  it('refuses requests from a frame that is not the main frame of our window showing our origin', async () => {
    const frames = [
      { sender: fakeElectron.webContents, senderFrame: { url: 'workbench://app/index.html' } }, // an iframe: another frame object
      { sender: fakeElectron.webContents, senderFrame: null },
      { sender: {}, senderFrame: fakeElectron.mainFrame }, // another WebContents
    ];
    for (const sender of frames) {
      fakeElectron.sendAs(sender);
      await expect(viaIpc.listRuns()).rejects.toThrow(
        /was refused: the request did not come from the workbench window/,
      );
    }
    fakeElectron.resetSender();
    fakeElectron.mainFrame.url = 'https://evil.example/';
    try {
      await expect(viaIpc.listRuns()).rejects.toThrow(/was refused/);
      await expect(desktop.openRunsFolder()).rejects.toThrow(/was refused/);
    } finally {
      fakeElectron.mainFrame.url = 'workbench://app/index.html';
    }
    await expect(viaIpc.listRuns()).resolves.toBeInstanceOf(Array);
  });

  it('validates save requests with the contract schema and hands valid ones to the dialog', async () => {
    const bytes = new Uint8Array([137, 80, 78, 71]);
    await expect(desktop.saveFile({ defaultName: 'report.png', bytes })).resolves.toBe('/exports/report.png');
    expect(savedFiles.at(-1)).toEqual({ defaultName: 'report.png', bytes });
    await expect(desktop.saveFile({ defaultName: '../../.bashrc', bytes })).rejects.toThrow(
      /saveFile: the arguments are not valid: argument 0\.defaultName/,
    );
    await expect(desktop.saveFile({ defaultName: 'report.png', bytes: 'not bytes' as never })).rejects.toThrow(
      /argument 0\.bytes/,
    );
    expect(savedFiles).toHaveLength(1);
  });

  it('gives a dropped file its path and forwards only known menu commands', async () => {
    expect(await desktop.pathForFile({ name: 'digit.png', path: '/dropped/digit.png' } as unknown as File)).toBe(
      '/dropped/digit.png',
    );
    expect(await desktop.pathForFile({ name: 'made-by-the-page.png' } as File)).toBe('');
    const commands: string[] = [];
    const unsubscribe = desktop.onMenuCommand((command) => commands.push(command));
    fakeElectron.webContents.send('workbench:menu', 'new-run');
    fakeElectron.webContents.send('workbench:menu', 'format-disk');
    fakeElectron.webContents.send('workbench:menu', 'compare');
    unsubscribe();
    fakeElectron.webContents.send('workbench:menu', 'export-report');
    expect(commands).toEqual(['new-run', 'compare']);
    expect(fakeElectron.listenerCount('workbench:menu')).toBe(0);
  });
});

describe('one classification path', { timeout: 120_000 }, () => {
  const options = { draws: 12, threshold: 0.2 };
  const asFile = (file: string) => ({ name: path.basename(file), path: file }) as unknown as File;

  it('gives the same file bit-identical probabilities as bytes over the WebSocket and as a dropped path over IPC', async () => {
    const bytes = await fs.readFile(imageFiles.digit);
    const overSocket = await viaSocket.classifyImageFiles(
      lenet5RunId,
      [{ name: path.basename(imageFiles.digit), base64: bytes.toString('base64') }],
      options,
    );
    const bytesOverIpc = await viaIpc.classifyImageFiles(
      lenet5RunId,
      [{ name: path.basename(imageFiles.digit), base64: bytes.toString('base64') }],
      options,
    );
    const dropped = await desktop.pathForFile(asFile(imageFiles.digit)); // the preload grants it
    const pathOverIpc = await viaIpc.classifyFiles(lenet5RunId, [dropped], options);
    const verdict = (result: typeof overSocket) => {
      const [only] = result.results;
      if (!only.ok) throw new Error(only.error);
      const { name: _name, ...rest } = only;
      return rest;
    };
    expect(verdict(overSocket).drawProbabilities).toHaveLength(12);
    expect(verdict(bytesOverIpc)).toEqual(verdict(overSocket));
    expect(verdict(pathOverIpc)).toEqual(verdict(overSocket));
    expect(pathOverIpc.checkpointStep).toBe(overSocket.checkpointStep);
  });

  it('has no classifyFiles over the WebSocket: a token holder names no host path', async () => {
    const reply = await outcome(() => viaSocket.classifyFiles(lenet5RunId, [imageFiles.digit], options));
    expect(reply).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^There is no API method "classifyFiles"; the methods are .*classifyImageFiles/),
    });
    expect((reply as { message: string }).message).not.toMatch(/, classifyFiles[,.]/);
  });

  it('reads over IPC only paths dropped or picked, and tells a caller nothing about the others', async () => {
    pickedPaths.splice(0, pickedPaths.length, imageFiles.letter);
    expect(await desktop.pickImageFiles()).toEqual([imageFiles.letter]);
    const probes = ['/etc/shadow', '/etc/passwd', '/no/such/file.png', tempDir, imageFiles.noise, imageFiles.missing];
    const result = await viaIpc.classifyFiles(lenet5RunId, [imageFiles.letter, ...probes], options);
    expect(result.results[0].ok).toBe(true); // picked in the dialog
    const errors = result.results
      .slice(1)
      .map((entry, i) => (entry.ok ? 'classified' : entry.error.replace(probes[i], '<path>')));
    expect(new Set(errors)).toEqual(
      new Set([
        '"<path>" is not a file you dropped or picked in this window; drop it on the window (or pick it) to classify it.',
      ]),
    );
  });
});

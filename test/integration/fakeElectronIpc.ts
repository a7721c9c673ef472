/**
 * An in-process stand-in for the parts of Electron the IPC transport uses — ipcMain.handle,
 * ipcRenderer.invoke/on, webContents.send, contextBridge.exposeInMainWorld, webUtils — so the
 * preload and main's handlers run unchanged without the Electron runtime. Messages are passed
 * through structuredClone as Electron's IPC does, so anything that would not survive the real
 * transport (functions, class identity) does not survive this one either.
 */
import type { IpcMainInvokeEvent, IpcRendererEvent } from 'electron';

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;
type RendererListener = (event: IpcRendererEvent, ...args: unknown[]) => void;

export interface FakeFrame {
  url: string;
}

export function createFakeElectron() {
  const handlers = new Map<string, Handler>();
  const rendererListeners = new Map<string, Set<RendererListener>>();
  const exposed = new Map<string, unknown>();

  const mainFrame: FakeFrame = { url: 'workbench://app/index.html' };
  const webContents = {
    mainFrame,
    send(channel: string, payload: unknown): void {
      for (const listener of rendererListeners.get(channel) ?? [])
        listener({} as IpcRendererEvent, structuredClone(payload));
    },
  };
  const window = { webContents };
  /** The sender every invoke claims to come from; a test may swap it (an iframe, another page). */
  let nextSender: { sender: unknown; senderFrame: FakeFrame | null } = { sender: webContents, senderFrame: mainFrame };

  const ipcMain = {
    handle(channel: string, handler: Handler): void {
      if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      handlers.set(channel, handler);
    },
    removeHandler(channel: string): void {
      handlers.delete(channel);
    },
  };

  const ipcRenderer = {
    async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
      const handler = handlers.get(channel);
      if (!handler)
        throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
      const event = { ...nextSender } as unknown as IpcMainInvokeEvent;
      return structuredClone(await handler(event, ...structuredClone(args)));
    },
    on(channel: string, listener: RendererListener) {
      let listeners = rendererListeners.get(channel);
      if (!listeners) rendererListeners.set(channel, (listeners = new Set()));
      listeners.add(listener);
      return ipcRenderer;
    },
    removeListener(channel: string, listener: RendererListener) {
      rendererListeners.get(channel)?.delete(listener);
      return ipcRenderer;
    },
  };

  const contextBridge = {
    exposeInMainWorld(key: string, api: unknown): void {
      if (exposed.has(key))
        throw new Error(`Cannot bind an API on top of an existing property on the window object: ${key}`);
      exposed.set(key, api);
    },
  };

  /** Like Electron: a File from a drop or a picker has a path (tests set `path`), one the page made has none. */
  const webUtils = {
    getPathForFile(file: { name: string; path?: string }): string {
      return file.path ?? '';
    },
  };

  return {
    ipcMain,
    ipcRenderer,
    contextBridge,
    webUtils,
    window,
    webContents,
    mainFrame,
    handlers,
    exposed,
    listenerCount: (channel: string) => rendererListeners.get(channel)?.size ?? 0,
    sendAs(sender: { sender: unknown; senderFrame: FakeFrame | null }) {
      nextSender = sender;
    },
    resetSender() {
      nextSender = { sender: webContents, senderFrame: mainFrame };
    },
  };
}

export type FakeElectron = ReturnType<typeof createFakeElectron>;

/** One shared instance: the `vi.mock('electron')` factory and the test import the same object. */
export const fakeElectron = createFakeElectron();

/**
 * What the preload exposes, built from the Electron objects it is handed (so the transport
 * contract test can hand it fakes): `window.workbench`, exactly WorkbenchApi — one function per
 * method plus onRunEvent — and `window.workbenchDesktop`, the Electron-only extras. Only plain
 * values and types come from the contract: zod stays out of the sandboxed preload bundle, and the
 * main process validates every message anyway.
 */
import type { IpcRendererEvent } from 'electron';
import type { ApiMethodName, WorkbenchApi } from '../../core/contract/workbenchApi';
import type { RunEvent } from '../../core/contract/runEvent';
import {
  apiChannelPrefix,
  desktopChannels,
  isMenuCommand,
  type IpcReply,
  type MenuCommand,
  type SaveFileRequest,
  type WorkbenchDesktop,
} from '../../core/contract/desktopChannels';

/** The part of Electron's ipcRenderer used here. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): unknown;
}

export interface WebUtilsLike {
  getPathForFile(file: File): string;
}

export function createWorkbenchBridge(
  ipcRenderer: IpcRendererLike,
  methodNames: readonly ApiMethodName[],
): WorkbenchApi {
  const requests = Object.fromEntries(
    methodNames.map((method) => [
      method,
      (...args: unknown[]) => invoke(ipcRenderer, `${apiChannelPrefix}${method}`, args),
    ]),
  );
  return {
    ...(requests as Omit<WorkbenchApi, 'onRunEvent'>),
    onRunEvent(listener: (event: RunEvent) => void): () => void {
      // The renderer validates pushed events again (renderer/src/api/preloadApi.ts).
      return subscribe(ipcRenderer, desktopChannels.runEvent, (value) => listener(value as RunEvent));
    },
  };
}

export function createDesktopBridge(ipcRenderer: IpcRendererLike, webUtils: WebUtilsLike): WorkbenchDesktop {
  return {
    // Electron gives a path only for a File from a drop or a picker; granting it here is what lets
    // the host read it (classifyFiles). A page cannot grant a path it typed: it has no File for it.
    pathForFile: async (file: File) => {
      const filePath = webUtils.getPathForFile(file);
      if (filePath) await invoke(ipcRenderer, desktopChannels.grantPath, [filePath]);
      return filePath;
    },
    pickImageFiles: () => invoke(ipcRenderer, desktopChannels.pickImageFiles, []) as Promise<string[]>,
    saveFile: (request: SaveFileRequest) =>
      invoke(ipcRenderer, desktopChannels.saveFile, [request]) as Promise<string | null>,
    openRunsFolder: async () => {
      await invoke(ipcRenderer, desktopChannels.openRunsFolder, []);
    },
    setQueueUrl: (url: string) => invoke(ipcRenderer, desktopChannels.setQueueUrl, [url]) as Promise<string>,
    onMenuCommand(listener: (command: MenuCommand) => void): () => void {
      return subscribe(ipcRenderer, desktopChannels.menu, (value) => {
        if (isMenuCommand(value)) listener(value);
      });
    },
  };
}

async function invoke(ipcRenderer: IpcRendererLike, channel: string, args: unknown[]): Promise<unknown> {
  const reply = (await ipcRenderer.invoke(channel, ...args)) as IpcReply;
  if (reply.ok) return reply.result;
  // contextBridge passes an Error's message, not its class; the name says where it came from.
  const error = new Error(reply.error);
  error.name = 'WorkbenchApiError';
  throw error;
}

function subscribe(ipcRenderer: IpcRendererLike, channel: string, deliver: (value: unknown) => void): () => void {
  // The page never sees the IpcRendererEvent: it carries `sender`, i.e. ipcRenderer itself.
  const forward = (_event: IpcRendererEvent, value: unknown) => deliver(value);
  ipcRenderer.on(channel, forward);
  return () => {
    ipcRenderer.removeListener(channel, forward);
  };
}

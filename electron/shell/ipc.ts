/**
 * The main-process side of the Electron IPC transport: one `ipcMain.handle` per WorkbenchApi
 * method (`workbench:<method>`) and per desktop request. Every message has its sender checked and
 * its arguments validated with the contract's zod schemas before anything runs; every failure
 * becomes an `{ok: false, error}` reply with a sentence for the user, never a thrown IPC error
 * (Electron would prefix it with "Error invoking remote method" and drop its class).
 *
 * Takes ipcMain as a parameter, so the transport contract test drives it with an in-process fake.
 */
import type { IpcMainInvokeEvent } from 'electron';
import { apiMethodNames } from '../../core/contract/workbenchApi';
import { desktopRequests, type DesktopRequestName } from '../../core/contract/desktopApi';
import {
  apiChannelPrefix,
  desktopChannels,
  type IpcReply,
  type SaveFileRequest,
} from '../../core/contract/desktopChannels';
import type { ApiHandler } from '../host/apiHandler';
import type { PathGrants } from './pathGrants';

/** The part of Electron's ipcMain used here. */
export interface IpcMainLike {
  handle(
    channel: string,
    listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown> | unknown,
  ): void;
  removeHandler(channel: string): void;
}

export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

/**
 * Serves WorkbenchApi on `workbench:<method>`; returns a function that removes the handlers. The
 * window may name host paths, but only those in `pathGrants` (dropped or picked by its user).
 */
export function registerApiHandlers(
  ipcMain: IpcMainLike,
  api: ApiHandler,
  isTrustedSender: SenderCheck,
  pathGrants: PathGrants,
): () => void {
  const caller = { pathGrant: (file: string) => pathGrants.has(file) };
  const channels = apiMethodNames.map((method) => {
    const channel = `${apiChannelPrefix}${method}`;
    ipcMain.handle(channel, async (event, ...args) => {
      if (!isTrustedSender(event)) return refusal(channel);
      // api.call validates the arguments against apiMethods[method].args (zod) and the result too.
      return settle(() => api.call(method, args, caller));
    });
    return channel;
  });
  return () => channels.forEach((channel) => ipcMain.removeHandler(channel));
}

export interface DesktopServices {
  saveFile(request: SaveFileRequest): Promise<string | null>;
  openRunsFolder(): Promise<void>;
  /** The native Open dialog for image files: the paths picked, or [] (granted here, not by the caller). */
  pickImageFiles(): Promise<string[]>;
  /** Checks and saves the run queue's URL for the next start; the URL with its password masked. */
  setQueueUrl(url: string): Promise<string>;
  pathGrants: PathGrants;
}

/** Serves the Electron-only requests of WorkbenchDesktop; returns a function that removes the handlers. */
export function registerDesktopHandlers(
  ipcMain: IpcMainLike,
  services: DesktopServices,
  isTrustedSender: SenderCheck,
): () => void {
  const implementations: { [R in DesktopRequestName]: (...args: never[]) => Promise<unknown> } = {
    saveFile: (request: SaveFileRequest) => services.saveFile(request),
    openRunsFolder: async () => {
      await services.openRunsFolder();
      return null;
    },
    // Reached only through the preload's pathForFile, with the path Electron gave for a real File.
    grantPath: async (file: string) => {
      services.pathGrants.grant(file);
      return null;
    },
    setQueueUrl: (url: string) => services.setQueueUrl(url),
    pickImageFiles: async () => {
      const picked = await services.pickImageFiles();
      for (const file of picked) services.pathGrants.grant(file);
      return picked;
    },
  };
  const names = Object.keys(desktopRequests) as DesktopRequestName[];
  for (const name of names) {
    const channel = desktopChannels[name];
    ipcMain.handle(channel, async (event, ...args) => {
      if (!isTrustedSender(event)) return refusal(channel);
      const parsed = desktopRequests[name].args.safeParse(args);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? `argument ${issue.path.map(String).join('.')}` : 'the argument list';
        return {
          ok: false,
          error: `${name}: the arguments are not valid: ${where}: ${issue?.message}.`,
        } satisfies IpcReply;
      }
      const implementation = implementations[name] as (...values: unknown[]) => Promise<unknown>;
      return settle(() => implementation(...(parsed.data as unknown[])));
    });
  }
  return () => names.forEach((name) => ipcMain.removeHandler(desktopChannels[name]));
}

function refusal(channel: string): IpcReply {
  return { ok: false, error: `${channel} was refused: the request did not come from the workbench window.` };
}

async function settle(action: () => Promise<unknown>): Promise<IpcReply> {
  try {
    return { ok: true, result: await action() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

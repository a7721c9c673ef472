/**
 * What only the Electron shell offers besides WorkbenchApi: the IPC channel names, the menu
 * commands main sends to the renderer, and the `window.workbenchDesktop` bridge. Plain values and
 * types only (no zod), so the sandboxed preload can import them without bundling a schema library;
 * the schemas the main process validates with are in ./desktopApi.
 *
 * This is deliberately not part of WorkbenchApi: the browser shell has no native menu, no file
 * paths and no save dialog, and the renderer must keep working when `workbenchDesktop` is absent.
 */

/** IPC channels; request channels are `invoke`d, push channels are `send`t by main. */
export const desktopChannels = {
  /** Push: a menu item whose action belongs to the renderer was chosen. */
  menu: 'workbench:menu',
  /** Push: a run event (the same stream WorkbenchApi.onRunEvent delivers). */
  runEvent: 'workbench:run-event',
  /** Request: save bytes through a native save dialog; replies with the chosen path or null. */
  saveFile: 'workbench-desktop:save-file',
  /** Request: show the runs folder in the system file manager. */
  openRunsFolder: 'workbench-desktop:open-runs-folder',
  /** Request (preload only): the path of a dropped or picked File, granted for classifyFiles. */
  grantPath: 'workbench-desktop:grant-path',
  /** Request: the native Open dialog for image files; replies with the paths picked (granted). */
  pickImageFiles: 'workbench-desktop:pick-image-files',
  /** Request: save the run queue's Redis URL in the settings (used from the next start). */
  setQueueUrl: 'workbench-desktop:set-queue-url',
} as const;

/** The prefix of every WorkbenchApi request channel: `workbench:<method>`. */
export const apiChannelPrefix = 'workbench:';

/** Menu items handled by the renderer (the others — open runs folder, about, devtools — are main's). */
export const menuCommands = ['new-run', 'export-report', 'compare'] as const;
export type MenuCommand = (typeof menuCommands)[number];

export function isMenuCommand(value: unknown): value is MenuCommand {
  return typeof value === 'string' && (menuCommands as readonly string[]).includes(value);
}

/** Largest export the save dialog accepts (a 2× PNG report is a few MB; this leaves ample room). */
export const maxSaveFileBytes = 64 * 1024 * 1024;

export interface SaveFileRequest {
  /** A file name without folders, e.g. "lenet5-run-3-report.png". */
  defaultName: string;
  bytes: Uint8Array;
}

/** `window.workbenchDesktop`: present only in the Electron shell. */
export interface WorkbenchDesktop {
  /**
   * The file-system path of a dropped or picked File (Electron's webUtils.getPathForFile), now
   * granted: the host reads only granted paths (classifyFiles). "" if it has none (a pasted image).
   */
  pathForFile(file: File): Promise<string>;
  /** The native Open dialog for image files: the paths picked (granted), or [] if cancelled. */
  pickImageFiles(): Promise<string[]>;
  /** Asks where to save `bytes` (starting in the folder last saved to); the path written, or null if cancelled. */
  saveFile(request: SaveFileRequest): Promise<string | null>;
  /** Shows the runs folder in the system file manager. */
  openRunsFolder(): Promise<void>;
  /**
   * Saves the run queue's Redis URL (`redis://[user:password@]host:port`, "" for none); it is used
   * from the next start. Rejects with a sentence when the URL is malformed; resolves with it masked.
   */
  setQueueUrl(url: string): Promise<string>;
  /** Calls `listener` for every renderer-handled menu command; returns the unsubscribe function. */
  onMenuCommand(listener: (command: MenuCommand) => void): () => void;
}

/** What every request channel answers: errors cross as values and are thrown again by the preload. */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: string };

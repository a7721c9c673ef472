/**
 * Exports leave the app through a native save dialog that opens in the folder the user last saved
 * to (remembered in shell-state.json) and suggests the renderer's file name. Only the main process
 * writes, and only to the path the user chose in the dialog: the renderer never names a path.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BrowserWindow, Dialog } from 'electron';
import type { SaveFileRequest } from '../../core/contract/desktopChannels';
import type { ShellStateStore } from './shellState';

export class SaveDialogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaveDialogError';
  }
}

const filterNames: Record<string, string> = {
  '.png': 'PNG image',
  '.svg': 'SVG image',
  '.json': 'JSON',
  '.csv': 'CSV table',
  '.ndjson': 'Event log (NDJSON)',
  '.pdf': 'PDF document',
  '.html': 'HTML report',
};

export interface SaveDialogOptions {
  dialog: Pick<Dialog, 'showSaveDialog'>;
  window(): BrowserWindow | null;
  state: ShellStateStore;
  /** Where the first export is suggested (the user's Documents folder). */
  defaultDir: string;
}

export function createSaveFile(options: SaveDialogOptions): (request: SaveFileRequest) => Promise<string | null> {
  return async ({ defaultName, bytes }) => {
    const folder = options.state.current.lastExportDir ?? options.defaultDir;
    const extension = path.extname(defaultName).toLowerCase();
    const filters = [
      ...(filterNames[extension] ? [{ name: filterNames[extension], extensions: [extension.slice(1)] }] : []),
      { name: 'All files', extensions: ['*'] },
    ];
    const dialogOptions = {
      title: 'Export',
      defaultPath: path.join(folder, defaultName),
      filters,
      properties: ['createDirectory' as const, 'showOverwriteConfirmation' as const],
    };
    const window = options.window();
    const choice = window
      ? await options.dialog.showSaveDialog(window, dialogOptions)
      : await options.dialog.showSaveDialog(dialogOptions);
    if (choice.canceled || !choice.filePath) return null;
    try {
      await fs.writeFile(choice.filePath, bytes);
    } catch (error) {
      throw new SaveDialogError(
        `The export could not be written to ${choice.filePath} (${(error as Error).message}); choose another folder.`,
      );
    }
    await options.state.update({ lastExportDir: path.dirname(choice.filePath) });
    return choice.filePath;
  };
}

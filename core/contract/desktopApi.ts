/**
 * zod schemas for what crosses the Electron-only IPC channels of ./desktopChannels; the main
 * process validates every such message with them before acting on it.
 */
import { z } from 'zod';
import { maxSaveFileBytes, menuCommands } from './desktopChannels';

export const menuCommandSchema = z.enum(menuCommands);

/** A plain file name: no folders, no "..", nothing a save dialog could be tricked into reaching. */
const fileName = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (name) => !/[/\\\0]/.test(name) && name !== '.' && name !== '..',
    'a default file name has no folder separators and is not "." or ".."',
  );

export const saveFileRequestSchema = z.object({
  defaultName: fileName,
  bytes: z
    .instanceof(Uint8Array)
    .refine((bytes) => bytes.byteLength <= maxSaveFileBytes, `an export is at most ${maxSaveFileBytes} bytes`),
});

/** Every request channel's arguments (a tuple) and result. */
export const desktopRequests = {
  saveFile: { args: z.tuple([saveFileRequestSchema]), result: z.string().nullable() },
  openRunsFolder: { args: z.tuple([]), result: z.null() },
  grantPath: { args: z.tuple([z.string().min(1).max(4096)]), result: z.null() },
  pickImageFiles: { args: z.tuple([]), result: z.array(z.string()) },
  /** The run queue's Redis URL ("" for none), saved for the next start; replies with the URL shown (password masked). */
  setQueueUrl: { args: z.tuple([z.string().max(2000)]), result: z.string() },
} as const;
export type DesktopRequestName = keyof typeof desktopRequests;

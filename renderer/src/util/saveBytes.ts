/**
 * Where exports leave the app: in Electron the desktop bridge's native save dialog (opening in the
 * folder last saved to; the main process writes the file), in the browser shell a download.
 */
import { safeFileStem } from '../../../core/figures/reportLayout';
import { getDesktopBridge } from '../api/desktopBridge';

/** Saves `bytes` under the suggested `fileName`; resolves to where it went, or null if the user cancelled. */
export async function saveBytes(fileName: string, bytes: Uint8Array, mimeType: string): Promise<string | null> {
  const desktop = getDesktopBridge();
  if (desktop) return desktop.saveFile({ defaultName: fileName, bytes });
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  // The download has started from the URL by now; keep it a while for slow browsers.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return fileName;
}

/** A file-name stem with only safe characters, as the reports name theirs ("lenet5 run #3" → "lenet5-run-3"). */
export const safeFileName = (text: string): string => safeFileStem(text, 'figure');

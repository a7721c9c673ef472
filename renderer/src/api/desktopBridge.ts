/**
 * The Electron-only extras (core/contract/desktopChannels.ts): the path of a dropped file, a
 * native save dialog, the runs folder, menu commands. `null` in the browser shell, where a
 * component falls back to a download link and has no menu to listen to.
 */
import type { WorkbenchDesktop } from '../../../core/contract/desktopChannels';

declare global {
  interface Window {
    /** Present only in the Electron shell. */
    workbenchDesktop?: WorkbenchDesktop;
  }
}

export function getDesktopBridge(): WorkbenchDesktop | null {
  return typeof window !== 'undefined' && window.workbenchDesktop ? window.workbenchDesktop : null;
}

/**
 * Creates the one window. Its webPreferences are written out here as a literal, next to the
 * `new BrowserWindow`, so that a reader — and electronegativity (`npm run lint:electron`), which
 * only understands literals at the call site — sees every setting where it takes effect. The
 * other restrictions (navigation, pop-ups, permissions, remote requests, IPC senders) are in
 * ./security. Checklist: https://www.electronjs.org/docs/latest/tutorial/security.
 */
import { BrowserWindow } from 'electron';
import type { Rectangle } from './shellState';
import { minimumWindowSize } from './shellState';

export interface MainWindowOptions {
  bounds: Partial<Rectangle>;
  title: string;
  preloadPath: string;
  /** DevTools exist only in development: in a packaged app they would hand anyone at the keyboard a console in the page that holds the API. */
  devTools: boolean;
}

export function createMainWindow({ bounds, title, preloadPath, devTools }: MainWindowOptions): BrowserWindow {
  return new BrowserWindow({
    ...bounds,
    minWidth: minimumWindowSize.width,
    minHeight: minimumWindowSize.height,
    title,
    show: false,
    webPreferences: {
      preload: preloadPath,
      // The page and the preload run in separate JavaScript worlds; only what contextBridge exposes crosses.
      contextIsolation: true,
      // The renderer process is OS-sandboxed; the preload gets only a small, audited part of Node.
      sandbox: true,
      // No require(), process or Buffer in the page (nor its workers or frames): injected script gets no Node.
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      // Same-origin policy stays on; the app never needs to read other origins.
      webSecurity: true,
      allowRunningInsecureContent: false,
      // <webview> would embed content outside these checks.
      webviewTag: false,
      // Experimental web platform features widen the attack surface for nothing the app uses.
      experimentalFeatures: false,
      // Middle-click would open links in new windows; those are refused anyway, this avoids the attempt.
      disableBlinkFeatures: 'Auxclick',
      // Dropping a file must reach the drop handler (which asks the preload for its path), not navigate.
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools,
    },
  });
}

/**
 * The Electron shell: one window showing the built renderer, WorkbenchApi over IPC
 * (`workbench:<method>`, events on `workbench:run-event`), runs under the user-data folder.
 * Everything else lives in electron/host; this file owns only windows and their security.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, protocol, session, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { apiMethodNames } from '../core/contract/workbenchApi';
import { openHostServices, type HostServices } from './host/hostServices';
import { resolveRendererFile } from './host/rendererFiles';

/** The renderer is served from this origin rather than file://, so it gets real HTTP headers (the CSP) and absolute asset paths work. */
const appScheme = 'workbench';
const appHost = 'app';
const appOrigin = `${appScheme}://${appHost}`;
const bundleDir = path.dirname(fileURLToPath(import.meta.url)); // dist/electron
const rendererDir = path.join(bundleDir, '..', 'renderer');
const contentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

let mainWindow: BrowserWindow | null = null;
let services: HostServices | null = null;

protocol.registerSchemesAsPrivileged([{ scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

// A second instance would share the runs folder and mark the first one's runs interrupted.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.whenReady().then(start).catch(fail);
}

async function start(): Promise<void> {
  restrictSecurity();
  protocol.handle(appScheme, serveRenderer);
  services = await openHostServices({ runsDir: path.join(app.getPath('userData'), 'runs'), shell: 'electron' });
  const { api } = services;

  for (const method of apiMethodNames) {
    ipcMain.handle(`workbench:${method}`, async (event: IpcMainInvokeEvent, ...args: unknown[]) => {
      if (!isFromOurWindow(event)) return { ok: false, error: `workbench:${method} was refused: the request did not come from the workbench window.` };
      try {
        return { ok: true, result: await api.call(method, args) };
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
    });
  }
  api.onRunEvent((event) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send('workbench:run-event', event);
  });

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Bayesian Workbench',
    webPreferences: {
      preload: path.join(bundleDir, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    },
  });
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  void mainWindow.loadURL(`${appOrigin}/index.html`);
}

/** Only the main frame of our window, showing our origin, may call the API. */
function isFromOurWindow(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!mainWindow || !frame || event.sender !== mainWindow.webContents || frame !== mainWindow.webContents.mainFrame) return false;
  return isAppUrl(frame.url);
}

function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    // new URL().origin is "null" for custom schemes, so compare the parts.
    return parsed.protocol === `${appScheme}:` && parsed.host === appHost;
  } catch {
    return false;
  }
}

async function serveRenderer(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const found = url.host === appHost ? await resolveRendererFile(rendererDir, url.pathname) : null;
  if (!found) return new Response('Not found.', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  return new Response(await readFile(found.file), {
    headers: { 'Content-Type': found.contentType, 'Content-Security-Policy': contentSecurityPolicy, 'X-Content-Type-Options': 'nosniff' },
  });
}

/** Navigation, pop-ups, webviews and permissions are refused: the workbench needs none of them. */
function restrictSecurity(): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    // Links and drags must not replace the app with a web page that would inherit the preload.
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    // window.open and target=_blank would create windows outside our checks.
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  // No camera, microphone, notifications, geolocation, ...
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

let quitting = false;
app.on('before-quit', (event) => {
  if (quitting || !services) return;
  // Give the training run a moment to stop cleanly and flush its events before the process ends.
  event.preventDefault();
  quitting = true;
  services.runManager.close().finally(() => app.quit());
});

app.on('window-all-closed', () => {
  app.quit();
});

function fail(error: unknown): void {
  console.error(`Bayesian Workbench could not start: ${error instanceof Error ? error.message : String(error)}`);
  app.exit(1);
}

/**
 * The Electron shell's security restrictions, in one place so they can be read (and reviewed) in
 * one sitting: the CSP of the app scheme, what the page may navigate to, open, attach, request or
 * ask for, and which IPC senders are trusted. (The window's webPreferences are a literal beside
 * `new BrowserWindow` in ./mainWindow, where reviewers and electronegativity look for them.) Each block says why; the
 * checklist they follow is https://www.electronjs.org/docs/latest/tutorial/security.
 *
 * Only types are imported from Electron, so the decisions here are unit-tested without it.
 */
import type { App, IpcMainEvent, IpcMainInvokeEvent, Session, WebContents } from 'electron';

export class ShellSecurityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellSecurityError';
  }
}

/**
 * The renderer is served from `workbench://app/` rather than file://: a custom scheme gets real
 * response headers (the CSP below), and file:// would grant the page read access to every local
 * file a path can name (https://www.electronjs.org/docs/latest/tutorial/security#18-avoid-usage-of-the-file-protocol-and-prefer-usage-of-custom-protocols).
 */
export const appScheme = 'workbench';
export const appHost = 'app';
export const appOrigin = `${appScheme}://${appHost}`;

/**
 * Sent with every response of the app scheme. Scripts only from the app itself (no inline code,
 * no eval), no remote origins at all: the workbench never needs the network, so a compromised
 * dependency in the renderer cannot load or send anything. 'unsafe-inline' styles: Vue's style
 * bindings set style attributes, which style-src governs; they cannot run code.
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The hidden GPU window's pages and worker (under /gpu/): the same policy, and WebAssembly
 * compilation ('wasm-unsafe-eval', which allows no JavaScript eval), because its worker falls back
 * to tfjs's wasm backend when there is no usable GPU.
 */
export const gpuWindowContentSecurityPolicy = contentSecurityPolicy.replace(
  "script-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
);

/** Headers of every app-scheme response besides its content type. */
export const appResponseHeaders: Readonly<Record<string, string>> = {
  'Content-Security-Policy': contentSecurityPolicy,
  // A response is what its Content-Type says, never sniffed into script.
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** The same for the GPU window's files. */
export const gpuWindowResponseHeaders: Readonly<Record<string, string>> = {
  ...appResponseHeaders,
  'Content-Security-Policy': gpuWindowContentSecurityPolicy,
};

/**
 * Whether `url` is the app's own: the app scheme and host, or — in development only — the Vite dev
 * server the shell was told to load (WORKBENCH_RENDERER_URL).
 */
export function isAppUrl(url: string, devServerOrigin: string | null = null): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // new URL().origin is "null" for non-special schemes, so compare the parts.
  if (parsed.protocol === `${appScheme}:` && parsed.host === appHost) return true;
  return devServerOrigin !== null && parsed.origin === devServerOrigin;
}

/** The origin of a development renderer URL, accepted only for loopback http(s) servers. */
export function devServerOriginOf(rendererUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(rendererUrl);
  } catch {
    throw new ShellSecurityError(
      `WORKBENCH_RENDERER_URL "${rendererUrl}" is not a URL; set it to the Vite dev server, e.g. http://localhost:5173/.`,
    );
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (!/^https?:$/.test(parsed.protocol) || !loopback) {
    // A remote renderer would get the preload's API: the whole workbench, with the user's files.
    throw new ShellSecurityError(
      `WORKBENCH_RENDERER_URL "${rendererUrl}" is not a loopback http(s) URL; only a dev server on this machine may serve the renderer.`,
    );
  }
  return parsed.origin;
}

/** What an IPC event tells about its sender, structurally (so tests can build one). */
export type IpcSenderEvent = Pick<IpcMainInvokeEvent | IpcMainEvent, 'sender' | 'senderFrame'>;

/**
 * Only the main frame of our window, showing our origin, may use IPC: not an iframe, not a page the
 * window was somehow navigated to, not another WebContents
 * (https://www.electronjs.org/docs/latest/tutorial/security#17-validate-the-sender-of-all-ipc-messages).
 */
export function isTrustedSender(
  event: IpcSenderEvent,
  window: { webContents: WebContents } | null,
  devServerOrigin: string | null = null,
): boolean {
  const frame = event.senderFrame;
  if (!window || !frame || event.sender !== window.webContents) return false;
  if (frame !== window.webContents.mainFrame) return false;
  return isAppUrl(frame.url, devServerOrigin);
}

/** The only permission the renderer is granted (see restrictWebContents). */
export const CLIPBOARD_WRITE = 'clipboard-sanitized-write';

/**
 * Installs the app-wide restrictions on every WebContents that will ever exist and on the
 * default session. Call once, before the first window is created.
 */
export function restrictWebContents(
  app: Pick<App, 'on'>,
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'webRequest'>,
  devServerOrigin: string | null,
): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    // A link, a drag or a script must not replace the app with another page: that page would
    // inherit the preload and with it the whole WorkbenchApi.
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url, devServerOrigin)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url, devServerOrigin)) event.preventDefault();
    });
    // window.open and target=_blank would create windows outside these checks; the app has one window.
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    // <webview> is off in webPreferences; refusing the attach also covers a tag injected later.
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  // No camera, microphone, notifications, geolocation, clipboard-read, MIDI, ...: the workbench
  // needs none, and a compromised renderer must not be able to ask the user for them. The one
  // exception is writing an image or text to the clipboard (a figure panel's "Copy"): Chromium's
  // sanitized write cannot read anything, re-encodes what is written, and needs a user gesture.
  session.setPermissionRequestHandler((_contents, permission, callback) => callback(permission === CLIPBOARD_WRITE));
  session.setPermissionCheckHandler((_contents, permission) => permission === CLIPBOARD_WRITE);

  // No remote content: every request must be to the app scheme (or the dev server, or devtools
  // internals). Everything the workbench shows is bundled; nothing is downloaded at run time.
  session.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAllowedRequestUrl(details.url, devServerOrigin) });
  });
}

/** Requests a window may make: the app itself, inline data, and (in development) the dev server. */
export function isAllowedRequestUrl(url: string, devServerOrigin: string | null): boolean {
  if (isAppUrl(url, devServerOrigin)) return true;
  if (devServerOrigin !== null) {
    // Vite's hot-module-reload socket lives on the dev server's host with the ws: scheme.
    const wsOrigin = devServerOrigin.replace(/^http/, 'ws');
    if (url.startsWith(`${wsOrigin}/`) || url === wsOrigin) return true;
    if (url.startsWith('devtools://')) return true;
  }
  return url.startsWith('data:') || url.startsWith('blob:');
}

/**
 * The Electron shell's decisions, without Electron: security restrictions, the app scheme's
 * responses, the menu, remembered window state, asar paths and the browser shell's token bucket.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { serveRendererRequest } from '../../../electron/shell/appProtocol';
import { buildMenuTemplate } from '../../../electron/shell/menu';
import {
  contentSecurityPolicy,
  devServerOriginOf,
  gpuWindowContentSecurityPolicy,
  isAllowedRequestUrl,
  isAppUrl,
  restrictWebContents,
} from '../../../electron/shell/security';
import { initialWindowBounds, ShellStateStore } from '../../../electron/shell/shellState';
import { asarCandidates, locateAsarFile, toUnpackedPath, toUnpackedUrl } from '../../../electron/worker/asarPaths';
import { TokenBucket } from '../../../electron/host/rateLimiter';

describe('security restrictions', () => {
  it('recognises only the app origin (and a loopback dev server when one is configured)', () => {
    expect(isAppUrl('workbench://app/index.html')).toBe(true);
    expect(isAppUrl('workbench://other/index.html')).toBe(false);
    expect(isAppUrl('https://app/')).toBe(false);
    expect(isAppUrl('file:///etc/passwd')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
    expect(isAppUrl('http://localhost:5173/src/main.ts')).toBe(false);
    expect(isAppUrl('http://localhost:5173/src/main.ts', 'http://localhost:5173')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173')).toBe(false);
    expect(devServerOriginOf('http://localhost:5173/')).toBe('http://localhost:5173');
    expect(() => devServerOriginOf('https://evil.example/')).toThrow(/not a loopback http\(s\) URL/);
    expect(() => devServerOriginOf('file:///tmp/index.html')).toThrow(/not a loopback/);
  });

  it('allows no remote requests', () => {
    expect(isAllowedRequestUrl('workbench://app/assets/index.js', null)).toBe(true);
    expect(isAllowedRequestUrl('data:image/png;base64,AAAA', null)).toBe(true);
    expect(isAllowedRequestUrl('https://cdn.example/lib.js', null)).toBe(false);
    expect(isAllowedRequestUrl('ws://localhost:5173/', null)).toBe(false);
    expect(isAllowedRequestUrl('ws://localhost:5173/', 'http://localhost:5173')).toBe(true);
  });

  it('denies navigation away, new windows, webviews and permissions', () => {
    const appListeners = new Map<string, (...args: unknown[]) => void>();
    const contentsListeners = new Map<string, (...args: unknown[]) => void>();
    let windowOpenHandler: (() => { action: string }) | undefined;
    let permissionHandler:
      ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined;
    let requestFilter:
      ((details: { url: string }, callback: (response: { cancel: boolean }) => void) => void) | undefined;
    const app = { on: (name: string, listener: (...args: unknown[]) => void) => appListeners.set(name, listener) };
    const session = {
      setPermissionRequestHandler: (handler: typeof permissionHandler) => (permissionHandler = handler),
      setPermissionCheckHandler: () => {},
      webRequest: { onBeforeRequest: (handler: typeof requestFilter) => (requestFilter = handler) },
    };
    restrictWebContents(app as never, session as never, null);
    const contents = {
      on: (name: string, listener: (...args: unknown[]) => void) => contentsListeners.set(name, listener),
      setWindowOpenHandler: (handler: typeof windowOpenHandler) => (windowOpenHandler = handler),
    };
    appListeners.get('web-contents-created')!({}, contents);

    const navigation = (name: string, url: string) => {
      let prevented = false;
      contentsListeners.get(name)!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    expect(navigation('will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigation('will-navigate', 'workbench://app/runs/1')).toBe(false);
    expect(navigation('will-redirect', 'file:///etc/passwd')).toBe(true);
    expect(navigation('will-attach-webview', 'workbench://app/')).toBe(true);
    expect(windowOpenHandler!()).toEqual({ action: 'deny' });
    let granted: boolean | undefined;
    permissionHandler!({}, 'media', (answer) => (granted = answer));
    expect(granted).toBe(false);
    permissionHandler!({}, 'clipboard-read', (answer) => (granted = answer));
    expect(granted).toBe(false);
    // A figure panel's "Copy" writes a PNG; writing (never reading) the clipboard is the one grant.
    permissionHandler!({}, 'clipboard-sanitized-write', (answer) => (granted = answer));
    expect(granted).toBe(true);
    let cancelled: boolean | undefined;
    requestFilter!({ url: 'https://tracker.example/pixel.gif' }, ({ cancel }) => (cancelled = cancel));
    expect(cancelled).toBe(true);
  });

  it('serves the renderer on the app scheme with the CSP, and nothing outside it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-scheme-'));
    await fs.mkdir(path.join(dir, 'renderer'));
    await fs.writeFile(path.join(dir, 'renderer', 'index.html'), '<!doctype html>');
    await fs.writeFile(path.join(dir, 'secret.txt'), 'no');
    const rendererDir = path.join(dir, 'renderer');
    const page = await serveRendererRequest(rendererDir, new Request('workbench://app/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(contentSecurityPolicy).toMatch(/default-src 'none'/);
    expect(contentSecurityPolicy).toMatch(/script-src 'self'(;|$)/);
    const escape = await serveRendererRequest(rendererDir, new Request('workbench://app/%2e%2e/secret.txt'));
    expect(escape.status).toBe(404);
    expect(escape.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect((await serveRendererRequest(rendererDir, new Request('workbench://other/index.html'))).status).toBe(404);
    expect(
      (
        await serveRendererRequest(
          rendererDir,
          new Request('workbench://app/index.html', { method: 'POST', body: 'x' }),
        )
      ).status,
    ).toBe(405);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("serves the GPU window's files under /gpu/ from their own folder, with wasm allowed there only", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-scheme-'));
    await fs.mkdir(path.join(dir, 'renderer'));
    await fs.mkdir(path.join(dir, 'gpu'));
    await fs.writeFile(path.join(dir, 'renderer', 'index.html'), '<!doctype html><title>app</title>');
    await fs.writeFile(path.join(dir, 'gpu', 'index.html'), '<!doctype html><title>gpu</title>');
    await fs.writeFile(path.join(dir, 'gpu', 'tfjs-backend-wasm.wasm'), Buffer.from([0, 97, 115, 109]));
    const rendererDir = path.join(dir, 'renderer');
    const gpuDir = path.join(dir, 'gpu');
    const gpuPage = await serveRendererRequest(rendererDir, new Request('workbench://app/gpu/index.html'), gpuDir);
    expect(await gpuPage.text()).toMatch(/<title>gpu<\/title>/);
    expect(gpuPage.headers.get('content-security-policy')).toBe(gpuWindowContentSecurityPolicy);
    expect(gpuWindowContentSecurityPolicy).toMatch(/script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    expect(gpuWindowContentSecurityPolicy).not.toMatch(/'unsafe-eval'|'unsafe-inline'[^;]*script/);
    const wasm = await serveRendererRequest(
      rendererDir,
      new Request('workbench://app/gpu/tfjs-backend-wasm.wasm'),
      gpuDir,
    );
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    // The app's own pages keep the strict policy; nothing escapes the GPU folder.
    const appPage = await serveRendererRequest(rendererDir, new Request('workbench://app/index.html'), gpuDir);
    expect(await appPage.text()).toMatch(/<title>app<\/title>/);
    expect(appPage.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    const escape = await serveRendererRequest(
      rendererDir,
      new Request('workbench://app/gpu/%2e%2e/renderer/index.html'),
      gpuDir,
    );
    expect(escape.status).toBe(404);
    await fs.rm(dir, { recursive: true, force: true });
  });
});

describe('application menu', () => {
  const labels = (items: MenuItemConstructorOptions[]): string[] =>
    items.flatMap((item) => [
      item.label ?? item.role ?? '',
      ...(Array.isArray(item.submenu) ? labels(item.submenu) : []),
    ]);

  it('offers DevTools only in development and sends renderer commands', () => {
    const sent: string[] = [];
    const actions = {
      send: (command: string) => sent.push(command),
      openRunsFolder: () => sent.push('open-folder'),
      showAbout: () => sent.push('about'),
    };
    const production = buildMenuTemplate({
      appName: 'Bayesian Workbench',
      platform: 'linux',
      development: false,
      actions,
    });
    const development = buildMenuTemplate({
      appName: 'Bayesian Workbench',
      platform: 'linux',
      development: true,
      actions,
    });
    expect(labels(production)).not.toContain('toggleDevTools');
    expect(labels(development)).toContain('toggleDevTools');
    expect(labels(production)).toEqual(
      expect.arrayContaining([
        'New Run…',
        'Export Report…',
        'Open Runs Folder',
        'Compare Runs',
        'About Bayesian Workbench',
      ]),
    );
    const click = (items: MenuItemConstructorOptions[], label: string): void => {
      for (const item of items) {
        if (item.label === label) return void (item.click as () => void)();
        if (Array.isArray(item.submenu)) click(item.submenu, label);
      }
    };
    for (const label of ['New Run…', 'Export Report…', 'Compare Runs', 'Open Runs Folder', 'About Bayesian Workbench'])
      click(production, label);
    expect(sent).toEqual(['new-run', 'export-report', 'compare', 'open-folder', 'about']);
    expect(
      buildMenuTemplate({ appName: 'Bayesian Workbench', platform: 'darwin', development: false, actions })[0].label,
    ).toBe('Bayesian Workbench');
  });
});

describe('remembered shell state', () => {
  it('round-trips, survives a damaged file, and keeps the window on a display', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-state-'));
    const store = ShellStateStore.inUserData(dir);
    expect((await store.load()).state).toEqual({});
    await store.update({ window: { bounds: { x: 10, y: 20, width: 1200, height: 800 }, maximized: false } });
    await store.update({ lastExportDir: '/home/someone/exports' });
    const reread = ShellStateStore.inUserData(dir);
    expect((await reread.load()).state).toEqual({
      window: { bounds: { x: 10, y: 20, width: 1200, height: 800 }, maximized: false },
      lastExportDir: '/home/someone/exports',
    });
    await fs.writeFile(store.file, '{"window": {"bounds": "huge"}}');
    const damaged = await ShellStateStore.inUserData(dir).load();
    expect(damaged.state).toEqual({});
    expect(damaged.problem).toMatch(/does not hold a valid shell state/);
    await fs.rm(dir, { recursive: true, force: true });

    const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    expect(
      initialWindowBounds({ bounds: { x: 100, y: 100, width: 1000, height: 700 }, maximized: true }, screen),
    ).toEqual({ bounds: { x: 100, y: 100, width: 1000, height: 700 }, maximized: true });
    // A monitor that is gone: back to the default size, centred by Electron.
    expect(
      initialWindowBounds({ bounds: { x: 3000, y: 100, width: 1000, height: 700 }, maximized: false }, screen).bounds,
    ).toEqual({ width: 1400, height: 900 });
    expect(initialWindowBounds(undefined, screen).bounds).toEqual({ width: 1400, height: 900 });
  });
});

describe('asar paths', () => {
  it('finds unpacked twins of packed files', () => {
    const packed = path.join('/opt', 'Bayesian Workbench', 'resources', 'app.asar', 'assets', 'mnist10k-split.json');
    const unpacked = path.join(
      '/opt',
      'Bayesian Workbench',
      'resources',
      'app.asar.unpacked',
      'assets',
      'mnist10k-split.json',
    );
    expect(toUnpackedPath(packed)).toBe(unpacked);
    expect(toUnpackedPath(unpacked)).toBe(unpacked);
    expect(asarCandidates(unpacked)).toEqual([unpacked, packed]);
    expect(locateAsarFile(packed, (file) => file === unpacked)).toBe(unpacked);
    expect(locateAsarFile('/dev/repo/assets/x.json', () => false)).toBe('/dev/repo/assets/x.json');
    expect(toUnpackedUrl(new URL('file:///opt/app/resources/app.asar/dist/electron/worker.js')).href).toBe(
      'file:///opt/app/resources/app.asar.unpacked/dist/electron/worker.js',
    );
  });
});

describe('token bucket', () => {
  it('allows a burst, refuses beyond it, and refills at the sustained rate', () => {
    let now = 0;
    const bucket = new TokenBucket({ burst: 3, perSecond: 2 }, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    expect(bucket.msUntilNextToken()).toBe(500);
    now = 499;
    expect(bucket.take()).toBe(false);
    now = 1000;
    expect(bucket.take()).toBe(true);
    now = 60_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    expect(() => new TokenBucket({ burst: 0, perSecond: 1 })).toThrow(/burst ≥ 1/);
  });
});

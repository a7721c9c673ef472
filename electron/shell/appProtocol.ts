/**
 * The `workbench://app/` scheme the window loads the built renderer from: only files under the
 * renderer folder (electron/host/rendererFiles.ts decides which), each with the CSP of
 * ./security. Registered as privileged (standard + secure) before the app is ready, so the page is
 * a secure context with a real origin for its relative URLs and fetches.
 */
import { readFile } from 'node:fs/promises';
import type { Protocol } from 'electron';
import { resolveRendererFile } from '../host/rendererFiles';
import { appHost, appResponseHeaders, appScheme } from './security';

/** Must be called before app 'ready' (Electron's rule for privileged schemes). */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves the renderer on the app scheme; call once the app is ready. */
export function handleAppScheme(protocol: Pick<Protocol, 'handle'>, rendererDir: string): void {
  protocol.handle(appScheme, (request) => serveRendererRequest(rendererDir, request));
}

/** One app-scheme response: the file, or a 404; only GET/HEAD; always with the security headers. */
export async function serveRendererRequest(rendererDir: string, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const textHeaders = { ...appResponseHeaders, 'Content-Type': 'text/plain; charset=utf-8' };
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response('Only GET and HEAD are served.', {
      status: 405,
      headers: { ...textHeaders, Allow: 'GET, HEAD' },
    });
  }
  const found = url.host === appHost ? await resolveRendererFile(rendererDir, url.pathname) : null;
  if (!found) return new Response('Not found.', { status: 404, headers: textHeaders });
  const body = request.method === 'HEAD' ? null : await readFile(found.file);
  return new Response(body, { headers: { ...appResponseHeaders, 'Content-Type': found.contentType } });
}

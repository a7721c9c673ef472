/**
 * The `workbench://app/` scheme the window loads the built renderer from: only files under the
 * renderer folder (electron/host/rendererFiles.ts decides which), each with the CSP of
 * ./security. Registered as privileged (standard + secure) before the app is ready, so the page is
 * a secure context with a real origin for its relative URLs and fetches.
 */
import { readFile } from 'node:fs/promises';
import type { Protocol } from 'electron';
import { resolveRendererFile } from '../host/rendererFiles';
import { appHost, appResponseHeaders, appScheme, gpuWindowResponseHeaders } from './security';

/** The URL folder of the hidden GPU window's files (electron/shell/gpuWindow.ts). */
export const gpuWindowPath = '/gpu/';

/** Must be called before app 'ready' (Electron's rule for privileged schemes). */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves the renderer on the app scheme; call once the app is ready. */
export function handleAppScheme(protocol: Pick<Protocol, 'handle'>, rendererDir: string, gpuWindowDir?: string): void {
  protocol.handle(appScheme, (request) => serveRendererRequest(rendererDir, request, gpuWindowDir));
}

/** One app-scheme response: the file, or a 404; only GET/HEAD; always with the security headers. */
export async function serveRendererRequest(
  rendererDir: string,
  request: Request,
  gpuWindowDir?: string,
): Promise<Response> {
  const url = new URL(request.url);
  const textHeaders = { ...appResponseHeaders, 'Content-Type': 'text/plain; charset=utf-8' };
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response('Only GET and HEAD are served.', {
      status: 405,
      headers: { ...textHeaders, Allow: 'GET, HEAD' },
    });
  }
  // The GPU window's files come from their own folder, with their own policy (wasm allowed).
  const gpuWindow = gpuWindowDir !== undefined && url.pathname.startsWith(gpuWindowPath);
  const found =
    url.host !== appHost
      ? null
      : gpuWindow
        ? await resolveRendererFile(gpuWindowDir, url.pathname.slice(gpuWindowPath.length - 1))
        : await resolveRendererFile(rendererDir, url.pathname);
  if (!found) return new Response('Not found.', { status: 404, headers: textHeaders });
  const body = request.method === 'HEAD' ? null : await readFile(found.file);
  const headers = gpuWindow ? gpuWindowResponseHeaders : appResponseHeaders;
  return new Response(body, { headers: { ...headers, 'Content-Type': found.contentType } });
}

/**
 * Finds the built renderer's file for a request path, for both shells that serve it (the browser
 * shell's HTTP server and Electron's app protocol): only files under the renderer folder, the SPA
 * fallback to index.html for extension-less paths, and a content type for each file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export interface RendererFile {
  file: string;
  contentType: string;
}

/** The file to answer `urlPath` with, or null (→ 404). */
export async function resolveRendererFile(rendererDir: string, urlPath: string): Promise<RendererFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const root = path.resolve(rendererDir);
  const relative = path.posix.normalize(`/${decoded}`).slice(1);
  const candidate = path.resolve(root, relative);
  // normalize() already folds "..", this guards against anything that still escapes the root.
  if (candidate !== root && !candidate.startsWith(root + path.sep)) return null;

  const found = await regularFile(candidate === root ? path.join(root, 'index.html') : candidate);
  if (found) return found;
  // Single-page app: a route like /runs/abc is the app's, not a file; a missing asset stays a 404.
  if (path.extname(relative) === '') return regularFile(path.join(root, 'index.html'));
  return null;
}

async function regularFile(file: string): Promise<RendererFile | null> {
  try {
    const stats = await fs.stat(file);
    if (stats.isDirectory()) return regularFile(path.join(file, 'index.html'));
    if (!stats.isFile()) return null;
  } catch {
    return null;
  }
  return { file, contentType: contentTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream' };
}

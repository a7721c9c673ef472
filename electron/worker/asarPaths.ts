/**
 * Paths inside a packaged app. electron-builder puts the app into `resources/app.asar`, and the
 * files listed in `asarUnpack` (build/electron-builder.config.mjs: the worker bundle, the packages
 * it imports, the wasm binaries, assets/) into the real folder `resources/app.asar.unpacked`
 * beside it. Files that must be real files — a worker thread's entry, wasm read by emscripten,
 * native addons — are reached through the unpacked path. Pure functions: the worker thread, the
 * main process and the tests all use them.
 */
import { existsSync } from 'node:fs';

/** `.../app.asar/x` → `.../app.asar.unpacked/x`; any other path is returned unchanged. */
export function toUnpackedPath(file: string): string {
  return file.replace(/\.asar([\\/])/, '.asar.unpacked$1');
}

/** `.../app.asar.unpacked/x` → `.../app.asar/x`; any other path is returned unchanged. */
export function toPackedPath(file: string): string {
  return file.replace(/\.asar\.unpacked([\\/])/, '.asar$1');
}

/** The URL of a file, moved to the unpacked folder when it lies inside an asar archive. */
export function toUnpackedUrl(url: URL): URL {
  if (url.protocol !== 'file:') return url;
  return new URL(url.href.replace(/\.asar\//, '.asar.unpacked/'));
}

/**
 * Where to look for a file that may have been packed or unpacked: the path itself, then its
 * unpacked twin, then its packed twin (Electron's fs reads inside app.asar, also in worker threads
 * since https://github.com/electron/electron/pull/33216). Duplicates removed, order kept.
 */
export function asarCandidates(file: string): string[] {
  return [...new Set([file, toUnpackedPath(file), toPackedPath(file)])];
}

/** The first of `asarCandidates(file)` that exists, or `file` itself (so the caller's error names it). */
export function locateAsarFile(file: string, exists: (candidate: string) => boolean = existsSync): string {
  return asarCandidates(file).find(exists) ?? file;
}

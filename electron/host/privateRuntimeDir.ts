/**
 * A private XDG_RUNTIME_DIR for this process when it has none. Dawn's Vulkan drivers (Mesa's among
 * them) look for a Wayland display through it and print "error: XDG_RUNTIME_DIR is invalid or not
 * set in the environment." to the process's stderr when it is missing: on a server, in a container,
 * under sudo. The training worker cannot fix that for itself: a worker thread's `process.env` is a
 * copy, and the native getenv the drivers call reads the process's real environment, which only the
 * main thread's `process.env` writes through to. So the host sets it before it spawns the worker.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let created: string | null = null;

/**
 * Makes sure `env.XDG_RUNTIME_DIR` names an existing folder, creating a fresh 0700 temporary one
 * (removed when the process exits) if it does not. Linux only, outside Electron: elsewhere no
 * driver reads the variable, and inside Electron Dawn is never loaded. Returns the folder it set,
 * or null when it left the environment alone.
 */
export function ensurePrivateRuntimeDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | null {
  if (platform !== 'linux' || process.versions.electron) return null;
  if (isUsableRuntimeDir(env.XDG_RUNTIME_DIR)) return null;
  if (!created) {
    // mkdtemp creates the folder with mode 0700, as the XDG Base Directory specification requires.
    created = mkdtempSync(path.join(os.tmpdir(), 'workbench-runtime-'));
    const folder = created;
    process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  }
  env.XDG_RUNTIME_DIR = created;
  return created;
}

function isUsableRuntimeDir(value: string | undefined): boolean {
  if (!value || !path.isAbsolute(value)) return false;
  try {
    return statSync(value).isDirectory();
  } catch {
    return false;
  }
}

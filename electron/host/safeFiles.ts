/**
 * The file primitives every run-folder reader and writer uses, so that no file is read whole,
 * no link is followed and no write is half-done:
 *
 * - `writeFileAtomically`: a temporary file in the same folder (created exclusively, never through
 *   a link), written, fsynced, renamed over the target, then the folder fsynced so the rename itself
 *   survives a power cut. A failed write removes its temporary file.
 * - `openNoFollow` / `readFileBounded`: O_NOFOLLOW (a link is refused, not followed), O_NONBLOCK (a
 *   FIFO planted in a run folder cannot block a libuv thread), only regular files, and reading stops
 *   at a limit whatever `stat` says (a sparse or growing file cannot exhaust memory).
 */
import { constants, promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { BoundedReadError, readRegularFileBounded } from './boundedFileRead';

/** 0 where the platform has no such flag (Windows): there, links are checked with lstat only. */
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

export class UnsafeFileError extends Error {
  constructor(
    message: string,
    /** `link`, `not-regular`, `too-large`: why the file was refused. */
    readonly kind: 'link' | 'not-regular' | 'too-large',
  ) {
    super(message);
    this.name = 'UnsafeFileError';
  }
}

/** What a non-regular file is, in words for an error message. */
export function describeFileType(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Temporary names of writeFileAtomically (and of older workbench versions): `*.tmp`. */
export function isTemporaryFileName(name: string): boolean {
  return name.endsWith('.tmp');
}

/**
 * Opens an existing regular file for reading without following a link or blocking on a FIFO.
 * Throws ENOENT as it comes (callers tell "missing" apart) and UnsafeFileError for the rest.
 */
export async function openRegularFileNoFollow(file: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK')
      throw new UnsafeFileError(`${file} is a symbolic link; links inside a run folder are never followed.`, 'link');
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile())
      throw new UnsafeFileError(`${file} is ${describeFileType(stats)}, not a regular file.`, 'not-regular');
    if (O_NOFOLLOW === 0 && (await fs.lstat(file)).isSymbolicLink()) {
      throw new UnsafeFileError(`${file} is a symbolic link; links inside a run folder are never followed.`, 'link');
    }
    return { handle, size: stats.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Reads a whole small file (run.json, a manifest, the lock), refusing one over `maxBytes` and a
 * link (./boundedFileRead with noFollow). A missing file throws with code ENOENT, as fs does.
 */
export async function readFileBounded(file: string, maxBytes: number): Promise<Buffer> {
  try {
    return await readRegularFileBounded(file, maxBytes, { noFollow: true });
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    if (error.reason === 'missing') throw Object.assign(new Error(error.message), { code: 'ENOENT' });
    if (error.reason === 'link')
      throw new UnsafeFileError(`${file} is a symbolic link; links inside a run folder are never followed.`, 'link');
    if (error.reason === 'not-regular' || error.reason === 'too-large')
      throw new UnsafeFileError(error.message, error.reason);
    throw error;
  }
}

/** Makes a rename inside `dir` durable (where the platform allows opening a folder). */
export async function syncFolder(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot fsync a folder; the rename itself is still atomic there.
  } finally {
    await handle?.close();
  }
}

/** Creates `file` (which must not exist), writes and fsyncs it; removes it if anything fails. */
export async function writeNewFileSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(file, { force: true });
    throw error;
  }
  await handle.close();
}

/**
 * Replaces `file` atomically: a reader sees the old content or the new, whole; a process killed at
 * any point leaves the old file (and at worst a temporary file the next start removes).
 */
export async function writeFileAtomically(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await writeNewFileSynced(temporary, data);
  try {
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  await syncFolder(dir);
}

export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

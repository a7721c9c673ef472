/**
 * Reading a file from outside (a dataset folder, a dropped image) without trusting what its name
 * points at. `stat` is not enough: a symlink to /dev/zero says size 0 and never ends, and opening
 * a FIFO blocks a libuv thread until someone writes to it — four such opens stall every file
 * operation of the process (listing runs, reading events) for every client.
 *
 * So: open with O_NONBLOCK (a FIFO opens at once instead of waiting for a writer), look at what
 * was opened with fstat on the descriptor (not the name, which may change in between), accept
 * only a regular file, and read at most `limit` bytes whatever its size claims.
 *
 * The user's own files — a dataset folder, a dropped image — may be links to a regular file, which
 * are followed; what they point at is checked on the descriptor all the same. Run-folder files are
 * read with `noFollow` (./safeFiles.ts readFileBounded): there a link is refused, never followed.
 */
import { constants, promises as fs } from 'node:fs';
import { describeFileType } from './safeFiles';

export class BoundedReadError extends Error {
  constructor(
    readonly file: string,
    /** What went wrong, for callers that word it themselves. */
    readonly reason: 'missing' | 'denied' | 'link' | 'not-regular' | 'too-large' | 'failed',
    /** The problem in a few words, fit for parentheses: "no such file", "it is a named pipe (FIFO)", "it is 120.0 MB". */
    readonly short: string,
    /** What to do, if anything. */
    hint = '',
  ) {
    super(`${file} cannot be read (${short})${hint ? `; ${hint}` : ''}.`);
    this.name = 'BoundedReadError';
  }
}

const megabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

/**
 * The bytes of the regular file `file`, at most `limit` of them; throws BoundedReadError. With
 * `noFollow` a symbolic link is refused (reason `link`) instead of followed (O_NOFOLLOW). With
 * `prefix` a longer file is not an error: its first `limit` bytes are returned (a header).
 */
export async function readRegularFileBounded(
  file: string,
  limit: number,
  { noFollow = false, prefix = false } = {},
): Promise<Buffer> {
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (noFollow ? (constants.O_NOFOLLOW ?? 0) : 0);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, flags);
  } catch (error) {
    throw openFailure(file, error, noFollow);
  }
  try {
    const stats = await handle.stat();
    // Where the platform has no O_NOFOLLOW (Windows), the name is checked instead.
    if (noFollow && !constants.O_NOFOLLOW && (await fs.lstat(file)).isSymbolicLink()) {
      throw new BoundedReadError(file, 'link', 'it is a symbolic link', 'links are not followed here');
    }
    if (!stats.isFile()) {
      throw new BoundedReadError(
        file,
        'not-regular',
        `it is ${describeFileType(stats)}`,
        'only regular files are read',
      );
    }
    if (prefix) {
      const start = Buffer.allocUnsafe(limit);
      let length = 0;
      while (length < limit) {
        const { bytesRead } = await handle.read(start, length, limit - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      return start.subarray(0, length);
    }
    if (stats.size > limit) throw tooLarge(file, `it is ${megabytes(stats.size)}`, limit);
    // Sized from stat but never trusted: the loop stops at limit + 1 bytes whatever the file does.
    let buffer = Buffer.allocUnsafe(Math.min(limit + 1, Math.max(stats.size + 1, 64 * 1024)));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (buffer.length > limit) throw tooLarge(file, `it holds more than ${megabytes(limit)}`, limit);
        const grown = Buffer.allocUnsafe(Math.min(limit + 1, buffer.length * 2));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limit) throw tooLarge(file, `it holds more than ${megabytes(limit)}`, limit);
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof BoundedReadError) throw error;
    throw new BoundedReadError(file, 'failed', error instanceof Error ? error.message : String(error));
  } finally {
    await handle.close();
  }
}

function tooLarge(file: string, found: string, limit: number): BoundedReadError {
  return new BoundedReadError(file, 'too-large', found, `at most ${megabytes(limit)} is read`);
}

function openFailure(file: string, error: unknown, noFollow: boolean): BoundedReadError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (noFollow && (code === 'ELOOP' || code === 'EMLINK'))
    return new BoundedReadError(file, 'link', 'it is a symbolic link', 'links are not followed here');
  if (code === 'ENOENT' || code === 'ENOTDIR') return new BoundedReadError(file, 'missing', 'no such file');
  if (code === 'EACCES' || code === 'EPERM') return new BoundedReadError(file, 'denied', 'permission denied');
  if (code === 'ELOOP') return new BoundedReadError(file, 'failed', 'its symbolic links point in a loop');
  if (code === 'EISDIR') return new BoundedReadError(file, 'not-regular', 'it is a folder');
  if (code === 'ENXIO') return new BoundedReadError(file, 'not-regular', 'it is a socket or device');
  return new BoundedReadError(file, 'failed', error instanceof Error ? error.message : String(error));
}

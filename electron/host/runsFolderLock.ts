/**
 * One process owns a runs folder at a time. The owner holds `<runsDir>/.workbench.lock`, created
 * exclusively (O_EXCL) and holding who it is: PID, host, boot id and process start time
 * (./processIdentity), shell and when it opened the folder. Another Electron, serve or CLI process
 * finds the lock, checks that its owner still lives (the PID alone would not do: PIDs are reused),
 * and either takes over a dead owner's lock or opens the folder read-only (or refuses, for a
 * command that must write). The lock is removed on close and on a normal exit; a process killed
 * outright leaves it, and the next process sees its owner is gone.
 */
import { constants, promises as fs, unlinkSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  currentProcessIdentity,
  processIdentitySchema,
  processLiveness,
  type ProcessIdentity,
} from './processIdentity';
import { readFileBounded, UnsafeFileError, writeNewFileSynced } from './safeFiles';

export const LOCK_FILE = '.workbench.lock';
const BREAK_FILE = '.workbench.lock.break';
/** A lock file still empty or half-written after this long belongs to a process that died creating it. */
const UNFINISHED_LOCK_GRACE_MS = 5_000;
const ATTEMPTS = 40;

export const lockOwnerSchema = processIdentitySchema.extend({
  shell: z.string(),
  /** ISO time the owner opened the folder. */
  openedAt: z.string(),
});
export type LockOwner = z.infer<typeof lockOwnerSchema>;

export class RunsFolderInUseError extends Error {
  constructor(
    message: string,
    readonly owner: LockOwner | null,
  ) {
    super(message);
    this.name = 'RunsFolderInUseError';
  }
}

/** "serve (pid 1234 on host, opened 10:02)" */
export function describeLockOwner(owner: LockOwner): string {
  const opened = new Date(owner.openedAt);
  const time = Number.isNaN(opened.getTime()) ? owner.openedAt : opened.toLocaleString();
  return `${owner.shell} (pid ${owner.pid}${owner.hostname ? ` on ${owner.hostname}` : ''}, opened ${time})`;
}

export class RunsFolderLock {
  private released = false;
  private readonly onExit = () => this.releaseSync();

  private constructor(
    readonly runsDir: string,
    readonly owner: LockOwner,
  ) {
    process.once('exit', this.onExit);
  }

  get file(): string {
    return path.join(this.runsDir, LOCK_FILE);
  }

  /**
   * Takes the lock of `runsDir` (creating the folder), taking over a dead owner's. Throws
   * RunsFolderInUseError naming the owner when a live process holds it, and the file system's
   * error when the folder cannot be written at all (EROFS, EACCES).
   */
  static async acquire(runsDir: string, shell: string): Promise<RunsFolderLock> {
    await fs.mkdir(runsDir, { recursive: true });
    const owner: LockOwner = { ...currentProcessIdentity(), shell, openedAt: new Date().toISOString() };
    const file = path.join(runsDir, LOCK_FILE);
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      try {
        await writeNewFileSynced(file, `${JSON.stringify(owner)}\n`);
        return new RunsFolderLock(runsDir, owner);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readLockOwner(runsDir);
      if (holder.state === 'valid') {
        const liveness = processLiveness(holder.owner);
        if (liveness !== 'dead') {
          const override = liveness === 'unknown' ? ` If that host no longer uses it, delete ${file}.` : '';
          throw new RunsFolderInUseError(
            `The runs folder ${runsDir} is in use by ${describeLockOwner(holder.owner)}.${override}`,
            holder.owner,
          );
        }
      } else if (holder.state === 'unfinished' && Date.now() - holder.modifiedAt < UNFINISHED_LOCK_GRACE_MS) {
        await delay(50); // its creator is still writing it
        continue;
      } else if (holder.state === 'missing') {
        continue;
      }
      await breakStaleLock(runsDir, holder);
    }
    throw new RunsFolderInUseError(`The lock of the runs folder ${runsDir} kept changing hands; try again.`, null);
  }

  /** The owner recorded in `runsDir`'s lock, if a live process holds it. */
  static async liveOwner(runsDir: string): Promise<LockOwner | null> {
    const holder = await readLockOwner(runsDir);
    return holder.state === 'valid' && processLiveness(holder.owner) !== 'dead' ? holder.owner : null;
  }

  /** Removes the lock if it is still this process's. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    const holder = await readLockOwner(this.runsDir).catch(() => null);
    if (holder?.state === 'valid' && sameOwner(holder.owner, this.owner)) await fs.rm(this.file, { force: true });
  }

  private releaseSync(): void {
    if (this.released) return;
    this.released = true;
    try {
      unlinkSync(this.file);
    } catch {
      // already gone; nothing to release
    }
  }
}

type LockState =
  | { state: 'valid'; owner: LockOwner; text: string }
  | { state: 'unfinished'; modifiedAt: number; text: string }
  | { state: 'missing' };

async function readLockOwner(runsDir: string): Promise<LockState> {
  const file = path.join(runsDir, LOCK_FILE);
  let text: string;
  let modifiedAt: number;
  try {
    modifiedAt = (await fs.lstat(file)).mtimeMs;
    text = (await readFileBounded(file, 4096)).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    if (error instanceof UnsafeFileError) return { state: 'unfinished', modifiedAt: 0, text: '' }; // a link or a folder is no lock
    throw error;
  }
  try {
    const parsed = lockOwnerSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { state: 'valid', owner: parsed.data, text };
  } catch {
    // half-written: fall through
  }
  return { state: 'unfinished', modifiedAt, text };
}

function sameOwner(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.pid === b.pid && a.bootId === b.bootId && a.startTicks === b.startTicks && a.hostname === b.hostname;
}

/**
 * Removes a dead owner's lock. Two processes may find the same stale lock; the break file (also
 * O_EXCL) lets one of them remove it, and the lock is read again under it, so a lock another
 * process has just created is never removed.
 */
async function breakStaleLock(runsDir: string, stale: LockState): Promise<void> {
  const breakFile = path.join(runsDir, BREAK_FILE);
  try {
    const handle = await fs.open(breakFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    await handle.close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process is breaking it; a break file left by a process killed meanwhile is old.
    const age = await fs.lstat(breakFile).then(
      (stats) => Date.now() - stats.mtimeMs,
      () => 0,
    );
    if (age > UNFINISHED_LOCK_GRACE_MS) await fs.rm(breakFile, { force: true });
    else await delay(50);
    return;
  }
  try {
    const now = await readLockOwner(runsDir);
    const unchanged = now.state !== 'missing' && stale.state !== 'missing' && now.text === stale.text;
    if (unchanged) await fs.rm(path.join(runsDir, LOCK_FILE), { force: true, recursive: true });
  } finally {
    await fs.rm(breakFile, { force: true });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

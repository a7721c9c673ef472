/**
 * Who a process is, in a form another process can check later: a PID alone is not enough, because
 * PIDs are reused (after a reboot, or in a fresh container where the workbench is pid 7 every
 * time). On Linux the boot id (/proc/sys/kernel/random/boot_id) and the process's start time in
 * clock ticks since boot (field 22 of /proc/<pid>/stat) pin one process down; elsewhere only the
 * PID and the host name are known, and liveness falls back to "a process with that PID exists".
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';

export const processIdentitySchema = z.object({
  pid: z.number().int().positive(),
  hostname: z.string().optional(),
  /** Linux: the kernel's boot id; absent where there is none. */
  bootId: z.string().optional(),
  /** Linux: start time of the process in clock ticks since boot. */
  startTicks: z.number().int().nonnegative().optional(),
});
export type ProcessIdentity = z.infer<typeof processIdentitySchema>;

function readSmallProcFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function bootId(): string | undefined {
  return readSmallProcFile('/proc/sys/kernel/random/boot_id')?.trim() || undefined;
}

/** Start time of `pid` in clock ticks since boot, or undefined where /proc has no such process. */
export function processStartTicks(pid: number): number | undefined {
  const stat = readSmallProcFile(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (field 2) is in parentheses and may itself hold spaces or ")"; fields after the last ")" are plain.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]); // field 22 overall; field 3 is fields[0]
  return Number.isSafeInteger(ticks) ? ticks : undefined;
}

export function currentProcessIdentity(): ProcessIdentity {
  const identity: ProcessIdentity = { pid: process.pid, hostname: os.hostname() };
  const boot = bootId();
  const ticks = processStartTicks(process.pid);
  if (boot) identity.bootId = boot;
  if (ticks !== undefined) identity.startTicks = ticks;
  return identity;
}

export type Liveness = 'alive' | 'dead' | 'unknown';

/**
 * Whether the process `identity` names still runs. `unknown` when it lives on another host (a
 * shared folder): nothing here can tell, so callers treat it as alive and say how to override.
 */
export function processLiveness(identity: ProcessIdentity): Liveness {
  if (identity.hostname !== undefined && identity.hostname !== os.hostname()) return 'unknown';
  const boot = bootId();
  if (boot !== undefined) {
    // A claim without boot id or start time was written by an older workbench or another OS:
    // its PID alone may belong to anything by now, so it proves nothing.
    if (identity.bootId === undefined || identity.startTicks === undefined) return 'dead';
    if (identity.bootId !== boot) return 'dead';
    return processStartTicks(identity.pid) === identity.startTicks ? 'alive' : 'dead';
  }
  try {
    process.kill(identity.pid, 0);
    return 'alive';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'dead';
  }
}

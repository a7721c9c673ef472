/**
 * What the fault-injection tests share: run records, a fresh runs folder, and a small tmpfs (mounted
 * when this process may mount, which CI's root may; otherwise the callers inject the same errno).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sinusoidConfigSchema } from '../../core/contract/runConfig';
import type { RunEvent } from '../../core/contract/runEvent';
import type { RunRecord } from '../../core/contract/workbenchApi';

export const sinusoidTestConfig = sinusoidConfigSchema.parse({
  experiment: 'sinusoid',
  epochs: 10,
  learningRate: 0.03,
  prior: { kind: 'normal' },
  kl: 'analytic',
  init: {},
});

export function runRecord(id: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    name: id,
    tags: [],
    config: sinusoidTestConfig,
    state: 'completed',
    createdAt: '2026-01-01T00:00:00.000Z',
    step: 10,
    totalSteps: 10,
    ...overrides,
  };
}

export function metricsEvent(runId: string, step: number): RunEvent {
  return { type: 'metrics', runId, step, time: 1, loss: 1, nll: 1, kl: 0, klWeight: 1 };
}

/** Writes a run folder by hand (as a past process left it): run.json and, optionally, events. */
export async function writeRunFolder(runsDir: string, record: RunRecord, events: RunEvent[] = []): Promise<string> {
  const dir = path.join(runsDir, record.id);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'run.json'), JSON.stringify(record));
  await fs.writeFile(path.join(dir, 'events.ndjson'), events.map((event) => `${JSON.stringify(event)}\n`).join(''));
  return dir;
}

export function tempRunsDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/**
 * Mounts a tmpfs of `megabytes` at `dir`; false when this process may not mount (then the tests
 * inject the errno instead). WORKBENCH_FAULTS_NO_MOUNT=1 forces the injected path, to test it too.
 */
export function mountTmpfs(dir: string, megabytes: number): boolean {
  if (process.env.WORKBENCH_FAULTS_NO_MOUNT === '1') return false;
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { stdio: 'ignore' });
  return result.status === 0;
}

export function remountReadOnly(dir: string): boolean {
  return spawnSync('mount', ['-o', 'remount,ro', dir], { stdio: 'ignore' }).status === 0;
}

export function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
}

/** True when `open` flags ask for writing or creating (a string mode other than "r", or numeric flags). */
export function opensForWriting(flags: unknown): boolean {
  if (typeof flags === 'number') return (flags & (constants.O_WRONLY | constants.O_RDWR | constants.O_CREAT)) !== 0;
  return typeof flags === 'string' && flags !== 'r';
}

/** An errno error as the file system would raise it. */
export function errnoError(code: string, syscall: string, file: string): NodeJS.ErrnoException {
  const error = new Error(`${code}: injected by the test, ${syscall} '${file}'`) as NodeJS.ErrnoException;
  error.code = code;
  error.syscall = syscall;
  error.path = file;
  return error;
}

const strangers: ChildProcess[] = [];

/** The PID of a live process that is not a workbench (`sleep`): what a reused PID points at. */
export function spawnStranger(): number {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  strangers.push(child);
  return child.pid!;
}

/** Ends every process spawnStranger started (call after each test). */
export function killStrangers(): void {
  for (const child of strangers.splice(0)) child.kill('SIGKILL');
}

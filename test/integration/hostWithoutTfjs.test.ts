/**
 * The host never holds the training library: loading every electron/host module and starting the
 * browser shell up to listening resolves no @tensorflow/* module (a resolve hook records every one,
 * ESM and CommonJS). It only sees the experiments' descriptors; tfjs lives in the worker thread,
 * which is spawned for the first run. A positive control proves the hook sees tfjs when it loads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
let workDir: string;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-host-tfjs-'));
});
afterAll(async () => {
  await fs.rm(workDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  /** The first stdout line (the shell's URL, or the control's message). */
  firstLine: string;
  log: string;
}

/** Starts the entry with the hook and resolves once it printed its first line. */
async function startEntry(name: string, env: Record<string, string>, args: string[] = []): Promise<Started> {
  const log = path.join(workDir, `${name}.log`);
  await fs.writeFile(log, '');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './test/fixtures/recordTfjsLoads.mjs', 'test/fixtures/hostEntry.ts', ...args],
    { cwd: root, env: { ...process.env, ...env, WORKBENCH_TFJS_LOAD_LOG: log }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const firstLine = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0]);
    });
    child.on('exit', (code) =>
      reject(new Error(`The host entry exited with ${code} before printing a line; stderr: ${stderr}`)),
    );
  });
  return { child, firstLine, log };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe('the host without tfjs', { timeout: 90_000 }, () => {
  it('loads every electron/host module and starts the browser shell up to listening without resolving @tensorflow/*', async () => {
    const runsDir = path.join(workDir, 'runs');
    const started = await startEntry('host', {}, ['--port', '0', '--runs-dir', runsDir]);
    try {
      expect(started.firstLine).toMatch(/^Bayesian Workbench: http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      expect(await fs.readFile(started.log, 'utf8')).toBe('');
    } finally {
      await stop(started.child);
    }
  });

  it('records tfjs when it is loaded (the hook is live)', async () => {
    const control = await startEntry('control', { HOST_ENTRY_POSITIVE_CONTROL: '1' });
    await stop(control.child);
    expect(control.firstLine).toBe('imported the trainers');
    expect(await fs.readFile(control.log, 'utf8')).toMatch(
      /^@tensorflow\/tfjs-core \(imported by file:.*core\/experiments\/.*trainer\.ts\)$/m,
    );
  });
});

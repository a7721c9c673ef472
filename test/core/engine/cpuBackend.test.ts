/**
 * tfjs's "Hi, looks like you are running TensorFlow.js in Node.js…" banner never reaches a
 * terminal or the test log: setCpuBackend swallows it, leaves the PROD flag as it found it (so
 * later tfjs warnings still show), and the cpu backend still computes. The plain activation is
 * the control: it does print the banner, so this test would see a regression.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/fixtures/cpuBackendBanner.ts', ...args], {
    cwd: root,
  });
const banner = 'looks like you are running TensorFlow.js in Node.js';

describe('setCpuBackend', { timeout: 60_000 }, () => {
  it('activates the cpu backend without the Node banner and restores PROD', async () => {
    const { stdout, stderr } = await run([]);
    expect(stdout + stderr).not.toContain(banner);
    expect(JSON.parse(stdout.trim())).toEqual({ backend: 'cpu', sum: 3, prod: false });
  });

  it('control: tfjs on its own prints the banner', async () => {
    const { stdout, stderr } = await run(['plain']);
    expect(stdout + stderr).toContain(banner);
  });
});

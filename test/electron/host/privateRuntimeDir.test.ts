/**
 * The host's private XDG_RUNTIME_DIR (electron/host/privateRuntimeDir.ts): set only when the
 * process has no usable one, as a fresh folder only its owner may enter, and once per process.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePrivateRuntimeDir } from '../../../electron/host/privateRuntimeDir';

describe('ensurePrivateRuntimeDir', () => {
  it('creates a 0700 folder when the variable is missing, and reuses it for the next environment', () => {
    const env: NodeJS.ProcessEnv = {};
    const created = ensurePrivateRuntimeDir(env, 'linux');
    expect(created).not.toBeNull();
    expect(env.XDG_RUNTIME_DIR).toBe(created);
    const stats = statSync(created!);
    expect(stats.isDirectory()).toBe(true);
    expect(stats.mode & 0o777).toBe(0o700);
    const again: NodeJS.ProcessEnv = { XDG_RUNTIME_DIR: 'relative/dir' };
    expect(ensurePrivateRuntimeDir(again, 'linux')).toBe(created);
    expect(again.XDG_RUNTIME_DIR).toBe(created);
  });

  it('replaces a folder that does not exist, and leaves an existing one alone', () => {
    const missing: NodeJS.ProcessEnv = { XDG_RUNTIME_DIR: path.join(os.tmpdir(), 'no-such-runtime-dir-7f3a') };
    expect(ensurePrivateRuntimeDir(missing, 'linux')).not.toBeNull();
    expect(missing.XDG_RUNTIME_DIR).not.toMatch(/no-such-runtime-dir/);

    const existing = mkdtempSync(path.join(os.tmpdir(), 'workbench-test-runtime-'));
    try {
      const env: NodeJS.ProcessEnv = { XDG_RUNTIME_DIR: existing };
      expect(ensurePrivateRuntimeDir(env, 'linux')).toBeNull();
      expect(env.XDG_RUNTIME_DIR).toBe(existing);
    } finally {
      rmSync(existing, { recursive: true, force: true });
    }
  });

  it('does nothing off Linux, where no driver reads it', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(ensurePrivateRuntimeDir(env, 'darwin')).toBeNull();
    expect(ensurePrivateRuntimeDir(env, 'win32')).toBeNull();
    expect(env).toEqual({});
  });
});

/**
 * Reading the WebGPU adapter probe's answer (electron/worker/webgpuProbeProcess.ts): every outcome
 * becomes a verdict with a reason a user can act on, Dawn's own notes are kept in it and its stack
 * lines dropped, and a probe that dies or hangs is told apart from one that found nothing. The real
 * probe against real drivers is exercised in test/integration/webgpuCli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { dawnNotes, interpretProbe, PROBE_TIMEOUT_MS } from '../../../electron/worker/webgpuProbeProcess';

const exited = { code: 0, signal: null, timedOut: false };
/** What Dawn and Mesa printed on this machine with bookworm's lavapipe and no XDG_RUNTIME_DIR. */
const oldLavapipeStderr = [
  'error: XDG_RUNTIME_DIR is invalid or not set in the environment.',
  'error: XDG_RUNTIME_DIR is invalid or not set in the environment.',
  'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.',
  ' - While initializing adapter (backend=BackendType::Vulkan)',
  '    at InitializeImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/PhysicalDeviceVk.cpp:257)',
  '',
].join('\n');

describe('interpretProbe', () => {
  it('accepts a found adapter as is', () => {
    const adapter = {
      vendor: 'nvidia',
      architecture: 'ampere',
      device: 'rtx 3060',
      description: 'NVIDIA GeForce RTX 3060',
      fallback: false,
    };
    expect(interpretProbe(`${JSON.stringify({ status: 'found', adapter })}\n`, '', exited)).toEqual({
      ok: true,
      adapter,
    });
  });

  it('no adapter: the advice for the platform and what Dawn said, each note once, without stack lines', () => {
    const verdict = interpretProbe('{"status":"none"}\n', oldLavapipeStderr, exited, 'linux');
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.reason).toBe(
      'no WebGPU adapter was found (no Vulkan driver answered; install your GPU vendor\'s Vulkan driver); Dawn said: "XDG_RUNTIME_DIR is invalid or not set in the environment.", "Vulkan shaderUniform*ArrayDynamicIndexing required."',
    );
    expect(verdict.notes).toHaveLength(2);
    expect(interpretProbe('{"status":"none"}', '', exited, 'darwin')).toMatchObject({
      ok: false,
      reason: 'no WebGPU adapter was found (no usable GPU driver answered)',
    });
  });

  it('a binding that is missing or cannot load says so', () => {
    expect(
      interpretProbe(
        '{"status":"unavailable","notInstalled":true,"message":"Cannot find package \'webgpu\'"}',
        '',
        exited,
      ),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        /^Dawn's Node binding \(npm "webgpu"\) has no build for .* or is not installed: Cannot find package 'webgpu'$/,
      ),
    });
    expect(interpretProbe('{"status":"failed","message":"boom"}', '', exited)).toMatchObject({
      ok: false,
      reason: 'Dawn could not look for a GPU adapter: boom',
    });
  });

  it('a crash, a hang or garbage is not mistaken for "no adapter"', () => {
    expect(
      interpretProbe('', 'Segmentation fault\n', { code: null, signal: 'SIGSEGV', timedOut: false }),
    ).toMatchObject({
      ok: false,
      reason: 'the WebGPU adapter probe was ended by SIGSEGV (a GPU driver may have crashed)',
    });
    expect(interpretProbe('', '', { code: null, signal: 'SIGKILL', timedOut: true })).toMatchObject({
      reason: `the WebGPU adapter probe did not answer within ${PROBE_TIMEOUT_MS / 1000} s (a GPU driver may have crashed)`,
    });
    expect(interpretProbe('not json', '', { code: 3, signal: null, timedOut: false })).toMatchObject({
      reason: 'the WebGPU adapter probe exited with code 3 without a verdict (a GPU driver may have crashed)',
    });
    // A found adapter missing a field is not trusted either.
    expect(interpretProbe('{"status":"found","adapter":{"vendor":"x"}}', '', exited).ok).toBe(false);
  });
});

describe('dawnNotes', () => {
  it('keeps at most four distinct notes, each at most 200 characters', () => {
    const stderr = Array.from({ length: 10 }, (_, i) => `Warning: note ${i} ${'x'.repeat(300)}`).join('\n');
    const notes = dawnNotes(stderr);
    expect(notes).toHaveLength(4);
    expect(notes.every((note) => note.length === 200)).toBe(true);
    expect(dawnNotes('plain line\n - While initializing\n')).toEqual([]);
  });
});

/**
 * Runs ./webgpuProbe.mjs in a short-lived child process and reads its verdict: which WebGPU adapter
 * Dawn offers, if any. Dawn and the Vulkan drivers write their notes straight to file descriptor 2,
 * which a worker thread shares with the user's terminal and cannot redirect; the child's stderr is a
 * pipe, so those notes become part of the recorded reason instead. A driver that crashes while it
 * is asked takes down the child, not the training worker.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WebGpuAdapter } from '../../core/contract/runEvent';

export type ProbeVerdict =
  | { ok: true; adapter: WebGpuAdapter }
  | { ok: false; reason: string; /** Dawn's own notes, e.g. why it refused a driver. */ notes: string[] };

/** Long enough for a cold Vulkan driver on a loaded machine; the answer normally takes < 1 s. */
export const PROBE_TIMEOUT_MS = 60_000;
/** The most of the child's output kept: the verdict is one short line, the notes a few. */
const MAX_OUTPUT_CHARS = 64 * 1024;

/** The probe script: beside this file in the sources, and copied beside the worker bundle. */
export function defaultProbeScript(): string {
  return fileURLToPath(new URL('./webgpuProbe.mjs', import.meta.url));
}

/** Asks the probe in a child of this Node (`process.execPath`), with this thread's environment. */
export function probeWebGpuAdapter(script = defaultProbeScript(), timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeVerdict> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout
      .setEncoding('utf8')
      .on('data', (chunk: string) => (stdout = (stdout + chunk).slice(-MAX_OUTPUT_CHARS)));
    child.stderr
      .setEncoding('utf8')
      .on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-MAX_OUTPUT_CHARS)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `the WebGPU adapter probe could not be started: ${error.message}`, notes: [] });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(interpretProbe(stdout, stderr, { code, signal, timedOut: signal === 'SIGKILL' }));
    });
  });
}

/** The probe's exit as the child process reported it. */
export interface ProbeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

/**
 * Turns the probe's output into a verdict. Pure, so the wording of every outcome is tested without
 * a driver. `platform` picks the advice for a machine where no adapter answered.
 */
export function interpretProbe(
  stdout: string,
  stderr: string,
  exit: ProbeExit,
  platform: NodeJS.Platform = process.platform,
): ProbeVerdict {
  const notes = dawnNotes(stderr);
  const said = notes.length > 0 ? `; Dawn said: ${notes.map((note) => `"${note}"`).join(', ')}` : '';
  const line = stdout.trim().split('\n').at(-1) ?? '';
  let verdict: unknown;
  try {
    verdict = JSON.parse(line);
  } catch {
    verdict = null;
  }
  const answer = (verdict ?? {}) as {
    status?: string;
    message?: string;
    notInstalled?: boolean;
    adapter?: WebGpuAdapter;
  };
  switch (answer.status) {
    case 'found':
      if (isAdapter(answer.adapter)) return { ok: true, adapter: answer.adapter };
      break;
    case 'none': {
      const advice =
        platform === 'linux'
          ? "no Vulkan driver answered; install your GPU vendor's Vulkan driver"
          : 'no usable GPU driver answered';
      return { ok: false, notes, reason: `no WebGPU adapter was found (${advice})${said}` };
    }
    case 'unavailable':
      return {
        ok: false,
        notes,
        reason: answer.notInstalled
          ? `Dawn's Node binding (npm "webgpu") has no build for ${process.platform}-${process.arch} or is not installed: ${answer.message ?? ''}`
          : `Dawn's Node binding (npm "webgpu") could not be loaded: ${answer.message ?? ''}`,
      };
    case 'failed':
      return { ok: false, notes, reason: `Dawn could not look for a GPU adapter: ${answer.message ?? ''}${said}` };
  }
  const how = exit.timedOut
    ? `did not answer within ${PROBE_TIMEOUT_MS / 1000} s`
    : exit.signal
      ? `was ended by ${exit.signal}`
      : `exited with code ${exit.code} without a verdict`;
  return { ok: false, notes, reason: `the WebGPU adapter probe ${how} (a GPU driver may have crashed)${said}` };
}

/**
 * The sentences of Dawn's and the drivers' stderr worth keeping in a reason: its `Warning:` and
 * `error:` lines, without their prefix, each once, at most four (the stack lines that follow a
 * Dawn warning name Dawn's build folders and say nothing to a user).
 */
export function dawnNotes(stderr: string): string[] {
  const notes: string[] = [];
  for (const raw of stderr.split('\n')) {
    const match = /^\s*(?:Warning|error|Error):\s*(.+?)\s*$/.exec(raw);
    if (!match) continue;
    const note = match[1].slice(0, 200);
    if (!notes.includes(note)) notes.push(note);
    if (notes.length === 4) break;
  }
  return notes;
}

function isAdapter(value: unknown): value is WebGpuAdapter {
  if (!value || typeof value !== 'object') return false;
  const adapter = value as Record<string, unknown>;
  return (
    ['vendor', 'architecture', 'device', 'description'].every((key) => typeof adapter[key] === 'string') &&
    typeof adapter.fallback === 'boolean'
  );
}

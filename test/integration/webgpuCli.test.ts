/**
 * The webgpu backend as a user reaches it, on the software Vulkan driver CI prepares: the CLI with
 * `--backend webgpu` trains on it and names the adapter; `auto` never picks the fallback adapter and
 * says why; without any Vulkan driver `auto` falls back to wasm with the reason recorded; and a
 * 300-step LeNet5 run in the browser shell trains on webgpu, stops, and resumes from its checkpoint
 * to the end. LeNet5 runs at batch 8 with one evaluation draw: llvmpipe runs its shaders on the CPU.
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendInfo, RunEvent } from '../../core/contract/runEvent';
import type { RunRecord } from '../../core/contract/workbenchApi';
import { lastJsonLine, runCli, type CliResult } from '../fixtures/cliProcess';
import { startServeWithClient, until, type ServeApiClient } from '../fixtures/serveApiClient';
import { repoRoot } from '../fixtures/serveProcess';
import { useSoftwareVulkan } from '../fixtures/softwareVulkan';

let runsDir: string;
const probeScript = path.join(repoRoot, 'electron', 'worker', 'webgpuProbe.mjs');

/** `node args…` in the repository, its output collected. */
function runNode(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
let server: ServeApiClient | undefined;

beforeAll(async () => {
  useSoftwareVulkan();
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-webgpu-'));
});

afterAll(async () => {
  server?.socket.terminate();
  await server?.stop('SIGKILL');
  await fs.rm(runsDir, { recursive: true, force: true });
});

/** `start` with environment variables changed (undefined: removed) for its process only (the environment is copied at spawn). */
function withEnvironment<T>(changes: Record<string, string | undefined>, start: () => T): T {
  const saved = Object.fromEntries(Object.keys(changes).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(changes);
  try {
    return start();
  } finally {
    apply(saved);
  }
}

/** The CLI with VK_ICD_FILENAMES replaced for its process only. */
function runCliWithIcd(icd: string, args: string[]): Promise<CliResult> {
  return withEnvironment({ VK_ICD_FILENAMES: icd }, () => runCli(args));
}

/**
 * Debian bookworm's own lavapipe (mesa-vulkan-drivers 22.3), which Dawn refuses with a warning: the
 * machine state of a user whose only Vulkan driver is too old, where every `auto` run used to print
 * Dawn's notes to the terminal.
 */
const oldLavapipeIcd = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';
/** Lines Dawn or a Vulkan driver writes to stderr (none of them is the workbench's own output). */
const dawnLine = /XDG_RUNTIME_DIR|^Warning:|While initializing adapter|ArrayDynamicIndexing|dawn\/native/m;

async function recordedBackend(runDir: string): Promise<BackendInfo> {
  return JSON.parse(await fs.readFile(path.join(runDir, 'run.json'), 'utf8')).backend;
}

const sinusoidArgs = ['train', '--experiment', 'sinusoid', '--epochs', '3', '--json'];

describe('the webgpu backend from the CLI', () => {
  it('--backend webgpu trains on it; the summary names the adapter and run.json records it', async () => {
    const result = await runCli([...sinusoidArgs, '--backend', 'webgpu', '--runs-dir', runsDir]);
    expect(result.code, result.stderr).toBe(0);
    const summary = lastJsonLine(result.stdout);
    expect(summary).toMatchObject({ state: 'completed', backend: 'webgpu', epochs: 3 });
    const backend = await recordedBackend(summary.runDir);
    expect(backend.adapter).toMatchObject({ fallback: true });
    expect(backend.adapter!.description).toMatch(/llvmpipe/);
    expect(summary.device).toBe(
      `WebGPU on ${backend.adapter!.description} (${backend.adapter!.architecture}, fallback adapter)`,
    );
  });

  it('--backend auto never trains on a fallback adapter, and records why it skipped it', async () => {
    const result = await runCli([...sinusoidArgs, '--backend', 'auto', '--runs-dir', runsDir]);
    expect(result.code, result.stderr).toBe(0);
    const summary = lastJsonLine(result.stdout);
    expect(summary.backend).toBe('wasm');
    const backend = await recordedBackend(summary.runDir);
    expect(backend.skipped.find((skip) => skip.name === 'webgpu')?.reason).toMatch(
      /^the only WebGPU adapter is a fallback \(software\) one, llvmpipe/,
    );
  });

  it('without a Vulkan driver, auto falls back to wasm with the reason recorded, and a forced webgpu fails saying why', async () => {
    const missing = path.join(runsDir, 'no-such-icd.json');
    const auto = await runCliWithIcd(missing, [...sinusoidArgs, '--backend', 'auto', '--runs-dir', runsDir]);
    expect(auto.code, auto.stderr).toBe(0);
    const summary = lastJsonLine(auto.stdout);
    expect(summary.backend).toBe('wasm');
    const backend = await recordedBackend(summary.runDir);
    expect(backend.skipped.find((skip) => skip.name === 'webgpu')?.reason).toMatch(/^no WebGPU adapter was found/);

    const forced = await runCliWithIcd(missing, [...sinusoidArgs, '--backend', 'webgpu', '--runs-dir', runsDir]);
    expect(forced.code).not.toBe(0);
    expect(lastJsonLine(forced.stdout).message).toMatch(
      /The "webgpu" backend was requested but could not be started \(webgpu: no WebGPU adapter was found/,
    );
  });
});

describe("Dawn's notes stay out of the user's terminal", () => {
  it(
    "auto on a machine whose only Vulkan driver Dawn refuses: wasm, the reason recorded with Dawn's note, and no Dawn line on stderr",
    { timeout: 600_000 },
    async () => {
      if (!existsSync(oldLavapipeIcd)) {
        throw new Error(
          `${oldLavapipeIcd} is missing: this test needs Debian bookworm's mesa-vulkan-drivers (apt-get install mesa-vulkan-drivers; .ci/run installs it).`,
        );
      }
      const noisyState = { VK_ICD_FILENAMES: oldLavapipeIcd, XDG_RUNTIME_DIR: undefined };
      // Control: Dawn asked in a process whose stderr is the terminal, as the worker used to ask it.
      const control = await withEnvironment(noisyState, () => runNode([probeScript]));
      expect(control.stdout.trim()).toBe('{"status":"none"}');
      expect(control.stderr).toMatch(/Warning: Vulkan shaderUniform\*ArrayDynamicIndexing required/);
      expect(control.stderr).toMatch(/XDG_RUNTIME_DIR is invalid or not set/);

      const result = await withEnvironment(noisyState, () =>
        runCli([...sinusoidArgs, '--backend', 'auto', '--runs-dir', runsDir]),
      );
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(dawnLine);
      // (stdout is the CLI's own summary, which quotes the recorded reason below.)
      const summary = lastJsonLine(result.stdout);
      expect(summary.backend).toBe('wasm');
      const backend = await recordedBackend(summary.runDir);
      expect(backend.skipped.find((skip) => skip.name === 'webgpu')?.reason).toMatch(
        /^no WebGPU adapter was found \(no Vulkan driver answered; .*\); Dawn said: .*"Vulkan shaderUniform\*ArrayDynamicIndexing required\."/,
      );
      // The host's private XDG_RUNTIME_DIR reached the drivers: Mesa no longer complains about it.
      expect(backend.skipped.find((skip) => skip.name === 'webgpu')?.reason).not.toMatch(/XDG_RUNTIME_DIR/);
    },
  );
});

describe('a 300-step LeNet5 run on webgpu in the browser shell', () => {
  it(
    "trains, stops after its first checkpoint, resumes from the stop's checkpoint and completes",
    { timeout: 1_200_000 },
    async () => {
      server = await startServeWithClient(runsDir);
      const steps = 300;
      const config = {
        experiment: 'lenet5',
        steps,
        batchSize: 8,
        evalEvery: 100,
        evalDraws: 1,
        evalImages: 100,
        backend: 'webgpu',
        seed: 1,
      };
      const started = (await server.call('startRun', { config, name: 'webgpu 300 steps' })) as RunRecord;
      await until(
        async () => {
          const record = (await server!.call('getRun', started.id)) as RunRecord;
          return (record.checkpointStep ?? 0) >= 100 ? record : undefined;
        },
        'the checkpoint at step 100',
        900_000,
      );
      await server.call('stopRun', started.id);
      const stopped = await until(
        async () => {
          const record = (await server!.call('getRun', started.id)) as RunRecord;
          return record.state === 'stopped' ? record : undefined;
        },
        'the run to stop',
        120_000,
      );
      expect(stopped.backend).toMatchObject({ name: 'webgpu', adapter: { fallback: true } });

      // The record reads `stopped` a moment before the host has let the run go (its stop checkpoint is
      // being written); until then a resume is refused as "already stopped".
      await until(
        () =>
          server!.call('resumeRun', started.id).then(
            () => true,
            (error: Error) => {
              if (/is already stopped/.test(error.message)) return undefined;
              throw error;
            },
          ),
        'the stopped run to be resumable',
        60_000,
      );
      const completed = await until(
        async () => {
          const record = (await server!.call('getRun', started.id)) as RunRecord;
          return record.state === 'completed' && record.checkpointStep === steps
            ? record
            : record.state === 'failed'
              ? record
              : undefined;
        },
        'the resumed run to complete',
        900_000,
      );
      expect(completed.message ?? '').not.toMatch(/failed/);
      expect(completed).toMatchObject({ state: 'completed', step: steps, checkpointStep: steps });
      expect(completed.backend?.name).toBe('webgpu');

      // The resumed stretch starts right after the checkpoint and reaches the last step.
      const timeline = (await server.call('getRunEvents', started.id)) as RunEvent[];
      const metrics = timeline.filter((event) => event.type === 'metrics');
      expect(metrics.map((event) => event.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
      expect(metrics.every((event) => Number.isFinite(event.loss))).toBe(true);
      const evaluated = timeline.filter((event) => event.type === 'heldout').map((event) => event.step);
      expect(evaluated[0]).toBe(100);
      expect(evaluated.at(-1)).toBe(steps);
    },
  );
});

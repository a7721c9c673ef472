import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deserializeCheckpoint, serializeCheckpoint, type TrainingCheckpoint } from '../../../core/training/checkpoint';
import { readCheckpointFiles, writeCheckpointFiles } from '../../../electron/host/checkpointFiles';
import { RunStore } from '../../../electron/host/runStore';
import { sinusoidConfigSchema } from '../../../core/contract/runConfig';

function checkpointAt(step: number): TrainingCheckpoint {
  return {
    experiment: 'sinusoid',
    step,
    seedStreams: { train: step * 8 },
    batchesDrawn: step,
    variables: [{ name: 'dense1/kernel/loc', shape: [2, 2], values: new Float32Array([step, -step, 0.5, 1e-7]) }],
    optimizer: {
      kind: 'adam',
      iterations: step,
      firstMoments: [{ name: 'dense1/kernel/loc', shape: [2, 2], values: new Float32Array([1, 2, 3, 4]) }],
      secondMoments: [{ name: 'dense1/kernel/loc', shape: [2, 2], values: new Float32Array([5, 6, 7, 8]) }],
    },
  };
}

let runsDir: string;
let runDir: string;

beforeEach(async () => {
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-checkpoint-'));
  runDir = path.join(runsDir, 'run-a');
  await fs.mkdir(runDir);
});

afterEach(async () => {
  await fs.rm(runsDir, { recursive: true, force: true });
});

const read = async () => {
  const stored = await readCheckpointFiles(runDir);
  return stored && deserializeCheckpoint(stored.manifest, stored.values);
};

describe('checkpoint files', () => {
  it('has none at first, then round-trips and replaces, keeping one manifest and one values file', async () => {
    expect(await read()).toBeNull();
    await writeCheckpointFiles(runDir, serializeCheckpoint(checkpointAt(100)));
    expect(await read()).toEqual(checkpointAt(100));
    const manifest = await writeCheckpointFiles(runDir, serializeCheckpoint(checkpointAt(200)));
    expect(await read()).toEqual(checkpointAt(200));
    expect((await fs.readdir(path.join(runDir, 'checkpoint'))).sort()).toEqual(
      ['manifest.json', manifest.valuesFile!].sort(),
    );
    expect(manifest.valuesFile).toMatch(/^values-200-[0-9a-f]{8}\.f32$/);
  });

  it('keeps the previous checkpoint when a write died halfway, and the next write clears its leftovers', async () => {
    await writeCheckpointFiles(runDir, serializeCheckpoint(checkpointAt(100)));
    // What a process killed mid-write leaves: a partial values file and a partial manifest under a temporary name.
    const dir = path.join(runDir, 'checkpoint');
    await fs.writeFile(path.join(dir, 'values-200-deadbeef.f32'), Buffer.alloc(10));
    await fs.writeFile(path.join(dir, 'manifest.json.deadbeef.tmp'), '{"format":"bayesian-workbench/chec');
    expect(await read()).toEqual(checkpointAt(100));
    const manifest = await writeCheckpointFiles(runDir, serializeCheckpoint(checkpointAt(300)));
    expect((await fs.readdir(dir)).sort()).toEqual(['manifest.json', manifest.valuesFile!].sort());
  });

  it('refuses a damaged values file rather than resuming from wrong numbers', async () => {
    const manifest = await writeCheckpointFiles(runDir, serializeCheckpoint(checkpointAt(100)));
    const file = path.join(runDir, 'checkpoint', manifest.valuesFile!);
    const bytes = await fs.readFile(file);
    bytes[3] ^= 0x40;
    await fs.writeFile(file, bytes);
    await expect(readCheckpointFiles(runDir)).rejects.toThrow(
      /The checkpoint's values have checksum [0-9a-f]{8}; its manifest says [0-9a-f]{8}\. The checkpoint is damaged\./,
    );
    await fs.rm(file);
    await expect(readCheckpointFiles(runDir)).rejects.toThrow(/values file .* is missing/);
  });

  it(
    'always leaves a whole checkpoint when the writing process is killed (SIGKILL) at any moment',
    { timeout: 60_000 },
    async () => {
      const fixture = path.join(import.meta.dirname, 'fixtures', 'writeCheckpointsForever.ts');
      for (const killAfterMs of [0, 7, 23, 61, 150]) {
        const child = spawn(process.execPath, ['--import', 'tsx', fixture, runDir], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const exited = new Promise((resolve) => child.on('exit', resolve));
        await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
        await new Promise((resolve) => setTimeout(resolve, killAfterMs));
        child.kill('SIGKILL');
        await exited;
        const stored = await readCheckpointFiles(runDir); // verified: length, checksum, bounds
        expect(stored).not.toBeNull();
        const checkpoint = deserializeCheckpoint(stored!.manifest, stored!.values);
        expect(checkpoint.step).toBeGreaterThanOrEqual(1);
        expect(checkpoint.variables[0].values.every((value) => value === checkpoint.step)).toBe(true);
      }
    },
  );
});

describe('RunStore checkpoints and deletion', () => {
  const config = sinusoidConfigSchema.parse({
    experiment: 'sinusoid',
    epochs: 10,
    learningRate: 0.03,
    prior: { kind: 'normal' },
    kl: 'analytic',
    init: {},
  });
  const record = (id: string) => ({
    id,
    name: id,
    tags: [],
    config,
    state: 'queued' as const,
    createdAt: new Date().toISOString(),
    step: 0,
    totalSteps: 10,
  });

  it('stores and reads a run checkpoint, tells its step, and marks an interrupted run resumable', async () => {
    const store = new RunStore(runsDir, { flushIntervalMs: 10 });
    await store.createRun(record('run-b'));
    expect(await store.checkpointStep('run-b')).toBeNull();
    await store.writeCheckpoint('run-b', serializeCheckpoint(checkpointAt(7)));
    expect(await store.checkpointStep('run-b')).toBe(7);
    const stored = await store.readCheckpoint('run-b');
    expect(deserializeCheckpoint(stored!.manifest, stored!.values)).toEqual(checkpointAt(7));
    await store.close();

    // A later process (another store) finds the run unfinished and its owner gone.
    const later = new RunStore(runsDir);
    expect(await later.markInterruptedRuns()).toEqual(['run-b']);
    expect(await later.readRecord('run-b')).toMatchObject({
      state: 'interrupted',
      checkpointStep: 7,
      message: expect.stringMatching(/can resume from its checkpoint at step 7\.$/),
    });
    await later.close();
  });

  it('deletes a finished run folder, refuses a run a live process has claimed, and names a missing run', async () => {
    const store = new RunStore(runsDir, { flushIntervalMs: 10 });
    await store.createRun(record('run-c'));
    await expect(store.deleteRun('run-c')).rejects.toThrow(
      'Run "run-c" is queued or training in a running workbench; stop it before deleting it.',
    );
    await store.writeRecord({ ...record('run-c'), state: 'completed' });
    store.appendEvent({ type: 'metrics', runId: 'run-c', step: 1, time: 1, loss: 1, nll: 1, kl: 0, klWeight: 1 });
    await store.deleteRun('run-c');
    expect(await fs.readdir(runsDir)).toEqual(['run-a']);
    await expect(store.deleteRun('run-c')).rejects.toThrow(/There is no run "run-c"/);
    await expect(store.deleteRun('..')).rejects.toThrow(/is not a valid run id/);
    await store.close();
    expect(await fs.readdir(runsDir)).toEqual(['run-a']);
  });
});

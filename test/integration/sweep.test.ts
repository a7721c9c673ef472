/**
 * A real 2 × 2 × 3 sinusoid sweep on this machine (learning rate × prior scale × three seeds,
 * 20 epochs each) through the host's sweep service and the real training worker: 12 runs done,
 * each tagged with the sweep in run.json, four seed groups of three, progress derived from the
 * records (right after the start, at the end, and after the host is reopened on the folder), the
 * same answers through the validating API handler; then the same sweep file through
 * `npm run sweep -- --json` in a subprocess, whose last stdout line is checked field by field.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConfigSchema } from '../../core/contract/runConfig';
import { sweepStatusSchema, type SweepFileInput } from '../../core/contract/sweep';
import { runRecordSchema } from '../../core/contract/workbenchApi';
import { sinusoidPresets } from '../../core/experiments/sinusoid/presets';
import { seedGroupKey } from '../../core/sweeps/expandSweep';
import { openHostServices, type HostServices } from '../../electron/host/hostServices';
import { repoRoot } from '../fixtures/serveProcess';

const base = sinusoidPresets.find((preset) => preset.name === 'default')!.config;
const sweepFile: SweepFileInput = {
  name: 'lr × prior',
  base: { ...base, epochs: 20, evalEvery: 10, predictiveDraws: 8, gridPoints: 50 },
  axes: { learningRate: [0.01, 0.03], 'prior.scale': [0.5, 1] },
  seeds: [0, 1, 2],
  search: 'grid',
};

let runsDir: string;
let cliRunsDir: string;
let services: HostServices | undefined;

beforeAll(async () => {
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-sweep-'));
  cliRunsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-sweep-cli-'));
});
afterAll(async () => {
  await services?.runManager.close(1000);
  await fs.rm(runsDir, { recursive: true, force: true });
  await fs.rm(cliRunsDir, { recursive: true, force: true });
});

async function readRunJson(dir: string, id: string) {
  return runRecordSchema.parse(JSON.parse(await fs.readFile(path.join(dir, id, 'run.json'), 'utf8')));
}

describe('a local sweep', () => {
  it(
    'trains 12 runs, tags them, forms seed groups and reports progress from the records',
    { timeout: 300_000 },
    async () => {
      services = await openHostServices({ runsDir, shell: 'test', access: 'owner' });
      const started = await services.sweeps.startSweep(sweepFile);
      const sweepId = started.sweep.id;
      expect(sweepId).toMatch(/^sweep-\d{8}-\d{6}-lr-prior-[a-z0-9]{4}$/);
      expect(started.sweep.runIds).toHaveLength(12);
      expect(started.sweep.keys).toEqual(['learningRate', 'prior.scale']);
      // Right after the start nothing has finished: every run is queued or (one) running.
      expect(started.counts.done + started.counts.failed).toBe(0);
      expect(started.counts.queued + started.counts.running).toBe(12);
      expect(started.finished).toBe(false);

      const finals = await Promise.all(started.sweep.runIds.map((id) => services!.runManager.waitForRun(id)));
      expect(finals.map((record) => record.state)).toEqual(new Array(12).fill('completed'));

      const status = await services.sweeps.getSweep(sweepId);
      expect(status.counts).toEqual({ queued: 0, running: 0, done: 12, failed: 0 });
      expect(status.finished).toBe(true);
      expect(status.runs.every((run) => run.progress === 'done' && run.step === 20 && run.totalSteps === 20)).toBe(
        true,
      );

      // Every run.json carries the sweep's tag and the combination it trained.
      const combinations = new Set<string>();
      for (const id of status.sweep.runIds) {
        const record = await readRunJson(runsDir, id);
        expect(record.sweep).toEqual({ sweepId, sweepName: 'lr × prior' });
        expect(record.summary?.stdRatio).toEqual(expect.any(Number));
        const prior = record.config.prior as { kind: string; scale: number };
        combinations.add(`${record.config.learningRate}/${prior.scale}/${record.config.seed}`);
        expect((record.config as { epochs: number }).epochs).toBe(20);
      }
      expect(combinations.size).toBe(12);

      // Four seed groups of seeds 0, 1, 2 whose configurations differ only in the seed.
      expect(status.sweep.groups).toHaveLength(4);
      for (const group of status.sweep.groups) {
        const records = await Promise.all(group.runIds.map((id) => readRunJson(runsDir, id)));
        expect(records.map((record) => record.config.seed).sort()).toEqual([0, 1, 2]);
        expect(new Set(records.map((record) => seedGroupKey(record.config))).size).toBe(1);
        expect(records[0].config.learningRate).toBe(group.axisValues.learningRate);
      }
      expect(new Set(status.sweep.groups.map((group) => JSON.stringify(group.axisValues))).size).toBe(4);

      // The validating API answers the same (the shells' path), and refuses a bad file with its reason.
      const viaApi = sweepStatusSchema.parse(await services.api.call('getSweep', [sweepId]));
      expect(viaApi.counts.done).toBe(12);
      expect(((await services.api.call('listSweeps', [])) as unknown[]).length).toBe(1);
      await expect(services.api.call('startSweep', [{ ...sweepFile, axes: { 'prior.scal': [1] } }])).rejects.toThrow(
        /startSweep: The axis "prior\.scal" is not a key of the sinusoid configuration\. Did you mean "prior\.scale"\?/,
      );
      expect((await services.sweeps.listSweeps()).length).toBe(1); // the refused sweep recorded nothing

      // A reopened host (a restart) derives the same progress from the folder.
      await services.runManager.close(1000);
      services = await openHostServices({ runsDir, shell: 'test', access: 'owner' });
      const reopened = await services.sweeps.getSweep(sweepId);
      expect(reopened.counts).toEqual({ queued: 0, running: 0, done: 12, failed: 0 });
      expect(reopened.sweep.groups).toEqual(status.sweep.groups);
    },
  );

  it(
    'runs from `npm run sweep -- --file … --json` and prints the contract object last',
    { timeout: 300_000 },
    async () => {
      const file = path.join(cliRunsDir, 'sweep.json');
      await fs.writeFile(file, JSON.stringify(sweepFile));
      const runsFolder = path.join(cliRunsDir, 'runs');
      const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
        (resolve) => {
          const args = ['run', 'sweep', '--', '--file', file, '--runs-dir', runsFolder, '--concurrency', '2', '--json'];
          const child = spawn('npm', args, {
            cwd: repoRoot,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          let err = '';
          child.stdout.on('data', (chunk) => (out += chunk));
          child.stderr.on('data', (chunk) => (err += chunk));
          child.on('exit', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
        },
      );
      expect(code, stderr).toBe(0);
      const result = JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as {
        sweepId: string;
        runs: { id: string; state: string; worker: string; config: unknown }[];
        done: number;
        failed: number;
      };
      expect(Object.keys(result)).toEqual(['sweepId', 'runs', 'done', 'failed']);
      expect(result.done).toBe(12);
      expect(result.failed).toBe(0);
      expect(result.runs).toHaveLength(12);
      for (const run of result.runs) {
        expect(Object.keys(run)).toEqual(['id', 'state', 'worker', 'config']);
        expect(run.state).toBe('completed');
        expect(run.worker).toMatch(/^local \((tensorflow|webgpu|wasm|cpu)\)$/);
        expect(runConfigSchema.parse(run.config)).toEqual(run.config);
        const record = await readRunJson(runsFolder, run.id);
        expect(record.sweep?.sweepId).toBe(result.sweepId);
        expect(record.config).toEqual(run.config);
      }
      expect(stderr).toMatch(/\[12\/12\]/);
      // Two runs trained at once: some run started before another had finished.
      const spans = await Promise.all(
        result.runs.map(async (run) => {
          const record = await readRunJson(runsFolder, run.id);
          return { start: Date.parse(record.startedAt!), end: Date.parse(record.finishedAt!) };
        }),
      );
      const overlapping = spans.some((a, i) => spans.some((b, j) => i !== j && a.start < b.start && b.start < a.end));
      expect(overlapping).toBe(true);
      // The sweep's record is in the runs folder, hidden from the run listing.
      const recorded = JSON.parse(
        await fs.readFile(path.join(runsFolder, '.sweeps', `${result.sweepId}.json`), 'utf8'),
      );
      expect(recorded.runIds).toEqual(result.runs.map((run) => run.id));
      expect(recorded.groups).toHaveLength(4);
    },
  );
});

/**
 * kill -9 during checkpoint writes and during run.json writes, 24 times (12 of each), on one runs
 * folder: every run reads back whole (record, checkpoint verified by checksum, events), the next
 * process takes over the dead one's lock, and every run resumes from its checkpoint and completes
 * through the real training worker.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totalStepsOf } from '../../core/experiments/registry';
import { openHostServices, type HostServices } from '../../electron/host/hostServices';
import { RunManager } from '../../electron/host/runManager';
import { RunStore } from '../../electron/host/runStore';
import { sinusoidConfig } from '../integration/fixtures/runManagerHarness';
import { repoRoot } from '../fixtures/serveProcess';
import { tempRunsDir } from './faultHelpers';

const ITERATIONS = 24;
const writer = path.join(import.meta.dirname, 'fixtures', 'writeRunForever.ts');

let workDir: string;
let templateRunDir: string;

beforeAll(async () => {
  workDir = await tempRunsDir('workbench-kill-');
  // A real checkpoint to write and to resume from: a short sinusoid run trained by the real worker.
  const templates = path.join(workDir, 'templates');
  const manager = new RunManager({ store: new RunStore(templates), totalSteps: totalStepsOf });
  try {
    const run = await manager.startRun({
      config: sinusoidConfig({ epochs: 40, evalEvery: 20, gridPoints: 10, predictiveDraws: 2 }),
    });
    expect(await manager.waitForRun(run.id)).toMatchObject({ state: 'completed', checkpointStep: 40 });
    templateRunDir = path.join(templates, run.id);
  } finally {
    await manager.close();
  }
}, 120_000);

afterAll(async () => {
  await fs.rm(workDir, { recursive: true, force: true });
});

/** Starts the writer, waits for "ready", lets it write for `delayMs`, then SIGKILLs it. */
async function killWhileWriting(
  runsDir: string,
  runId: string,
  mode: 'checkpoint' | 'record',
  delayMs: number,
): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, runsDir, runId, mode, templateRunDir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`The writer exited (code ${code}) before it was ready: ${stderr}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  child.kill('SIGKILL');
  await exited;
}

describe('kill -9 during writes', () => {
  it(
    `${ITERATIONS} runs killed mid-write all read back, and all resume from their checkpoints`,
    { timeout: 300_000 },
    async () => {
      const runsDir = path.join(workDir, 'runs');
      await fs.mkdir(runsDir);
      const ids: string[] = [];
      for (let iteration = 0; iteration < ITERATIONS; iteration += 1) {
        const id = `killed-${String(iteration).padStart(2, '0')}`;
        ids.push(id);
        // Delays spread over 0–60 ms: early ones land in the first writes, later ones anywhere in the loop.
        await killWhileWriting(runsDir, id, iteration % 2 === 0 ? 'checkpoint' : 'record', (iteration * 37) % 61);
      }

      // Evidence that kills landed mid-write: temporary files or a second values file left behind.
      let caughtMidWrite = 0;
      for (const id of ids) {
        const names = [
          ...(await fs.readdir(path.join(runsDir, id))),
          ...(await fs.readdir(path.join(runsDir, id, 'checkpoint'))),
        ];
        if (names.some((name) => name.endsWith('.tmp')) || names.filter((name) => name.endsWith('.f32')).length > 1)
          caughtMidWrite += 1;
      }
      console.log(`kill -9: ${caughtMidWrite} of ${ITERATIONS} writers were killed in the middle of a write.`);
      expect(caughtMidWrite).toBeGreaterThan(0);

      const warnings: string[] = [];
      const services: HostServices = await openHostServices({
        runsDir,
        shell: 'test',
        warn: (message) => warnings.push(message),
      });
      try {
        expect(services.readOnlyReason).toBeNull(); // the dead writer's lock was taken over
        expect(services.interruptedRunIds.sort()).toEqual(ids);
        const listing = await services.runManager.listRuns();
        expect(listing.damaged).toEqual([]);
        expect(listing.runs.map((run) => run.id).sort()).toEqual(ids);
        const store = new RunStore(runsDir, { access: { mode: 'read-only', reason: 'checking' } });
        for (const id of ids) {
          const record = await services.runManager.getRun(id);
          expect(record).toMatchObject({ state: 'interrupted', checkpointStep: 40, totalSteps: 60 });
          expect((await store.readCheckpoint(id))?.manifest.step).toBe(40); // verified: length, checksum, bounds
          const entries = await fs.readdir(path.join(runsDir, id, 'checkpoint'));
          expect(entries.filter((name) => name.endsWith('.tmp'))).toEqual([]);
          expect(entries).toHaveLength(2); // manifest + one values file: leftovers were removed
          expect((await fs.readdir(path.join(runsDir, id))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
          const events = await services.runManager.getRunEvents(id);
          expect(events.at(-1)).toMatchObject({ type: 'status', state: 'interrupted' });
        }
        for (const id of ids) await services.runManager.resumeRun(id);
        for (const id of ids)
          expect(await services.runManager.waitForRun(id)).toMatchObject({
            state: 'completed',
            step: 60,
            checkpointStep: 60,
          });
        expect(warnings.filter((warning) => !/line\(s\) of events\.ndjson are not valid events/.test(warning))).toEqual(
          [],
        );
      } finally {
        await services.runManager.close();
      }
    },
  );
});

/**
 * Fuzzing run folders: random truncations, byte flips, garbage and type swaps of run.json,
 * events.ndjson and the checkpoint files never stop the host from starting (RunManager.initialize +
 * listRuns), never hide a folder (every one is listed, whole or damaged), never lose an undamaged run,
 * and reading any listed run's events or checkpoint answers or fails with a clear error.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serializeCheckpoint } from '../../core/training/checkpoint';
import { RunManager } from '../../electron/host/runManager';
import { RunStore, RunStoreError } from '../../electron/host/runStore';
import { metricsEvent, runRecord, tempRunsDir } from './faultHelpers';

const files = ['run.json', 'events.ndjson', 'checkpoint/manifest.json', 'values'] as const;
type Target = (typeof files)[number];

const damageArbitrary = fc.record({
  target: fc.constantFrom(...files),
  kind: fc.constantFrom('truncate', 'flip', 'garbage', 'empty', 'folder', 'remove'),
  position: fc.double({ min: 0, max: 1, noNaN: true }),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
});
type Damage = typeof damageArbitrary extends fc.Arbitrary<infer T> ? T : never;

async function writeHealthyRun(store: RunStore, id: string, state: 'completed' | 'running'): Promise<void> {
  await store.createRun(runRecord(id, { state, step: 5 }));
  for (let step = 1; step <= 5; step += 1) store.appendEvent(metricsEvent(id, step));
  await store.flushEvents(id);
  await store.writeCheckpoint(
    id,
    serializeCheckpoint({
      experiment: 'sinusoid',
      step: 5,
      seedStreams: { train: 5 },
      batchesDrawn: 5,
      variables: [{ name: 'dense1/kernel/loc', shape: [4], values: new Float32Array([1, 2, 3, 4]) }],
      optimizer: { kind: 'adam', iterations: 5, firstMoments: [], secondMoments: [] },
    }),
  );
  await store.writeRecord(runRecord(id, { state, step: 5, checkpointStep: 5 }));
}

async function fileOf(runDir: string, target: Target): Promise<string | null> {
  if (target !== 'values') return path.join(runDir, target);
  const names = await fs.readdir(path.join(runDir, 'checkpoint')).catch(() => []);
  const values = names.find((name) => name.endsWith('.f32'));
  return values ? path.join(runDir, 'checkpoint', values) : null;
}

async function damage(runDir: string, { target, kind, position, bytes }: Damage): Promise<void> {
  const file = await fileOf(runDir, target);
  // An earlier damage may have removed the file or made it a folder already: nothing left to damage.
  const stats = file ? await fs.lstat(file).catch(() => null) : null;
  if (!file || !stats?.isFile()) return;
  const content = await fs.readFile(file);
  const at = Math.floor(position * content.length);
  if (kind === 'truncate') await fs.truncate(file, at);
  else if (kind === 'flip')
    await fs.writeFile(
      file,
      Buffer.concat([content.subarray(0, at), Buffer.from(bytes), content.subarray(at + bytes.length)]),
    );
  else if (kind === 'garbage') await fs.appendFile(file, Buffer.from(bytes));
  else if (kind === 'empty') await fs.writeFile(file, '');
  else if (kind === 'remove') await fs.rm(file);
  else {
    await fs.rm(file);
    await fs.mkdir(file);
  }
}

describe('fuzzed run folders', () => {
  it('never stop the host, never hide a folder, never lose an undamaged run', { timeout: 240_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            state: fc.constantFrom('completed' as const, 'running' as const),
            damages: fc.array(damageArbitrary, { maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (plans) => {
          const runsDir = await tempRunsDir('workbench-fuzz-');
          try {
            const writer = new RunStore(runsDir);
            const ids = plans.map((_, index) => `run-${index}`);
            for (const [index, plan] of plans.entries()) await writeHealthyRun(writer, ids[index], plan.state);
            await writer.close();
            for (const [index, plan] of plans.entries())
              for (const hurt of plan.damages) await damage(path.join(runsDir, ids[index]), hurt);

            const manager = new RunManager({
              store: new RunStore(runsDir),
              totalSteps: () => 10,
              warn: () => undefined,
            });
            try {
              await manager.initialize();
              const { runs, damaged } = await manager.listRuns();
              expect([...runs.map((run) => run.id), ...damaged.map((run) => run.id)].sort()).toEqual(ids);
              for (const [index, plan] of plans.entries()) {
                if (plan.damages.length > 0) continue;
                const listed = runs.find((run) => run.id === ids[index]);
                expect(listed).toMatchObject({
                  id: ids[index],
                  step: 5,
                  checkpointStep: 5,
                  state: plan.state === 'running' ? 'interrupted' : 'completed',
                });
                expect(
                  (await manager.getRunEvents(ids[index])).filter((event) => event.type === 'metrics'),
                ).toHaveLength(5);
              }
              for (const id of ids) {
                await manager.getRunEvents(id).catch((error) => expect(error).toBeInstanceOf(RunStoreError));
                await new RunStore(runsDir)
                  .readCheckpoint(id)
                  .catch((error) => expect(error.name).toMatch(/CheckpointFilesError|CheckpointError|RunStoreError/));
              }
            } finally {
              await manager.close(100);
            }
          } finally {
            await fs.rm(runsDir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 100, seed: 14 },
    );
  });
});

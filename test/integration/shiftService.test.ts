/**
 * The shift service through the real host (run store, run manager, training worker) on a LeNet5
 * checkpoint, with few images, draws and levels so it stays quick: every level scored in increasing
 * shift from the unshifted set, OOD AUROC and figure-3 data, shift.json stored once per checkpoint
 * and served from the file afterwards, progress reported, and the refusals of a regression run and
 * of a run without a checkpoint. Runs of every method are evaluated (point methods score their own
 * number of passes; the deterministic net has no mutual information), and posterior draws shared
 * with a real helper thread (workers = 2) give the one-thread scores.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shiftEvaluationSchema, type ShiftProgress } from '../../core/contract/shift';
import { noiseImages } from '../../core/data/noise';
import { shiftSummaryJson } from '../../electron/cli/evaluateShift';
import { openHostServices, type HostServices } from '../../electron/host/hostServices';
import { writeLenet5RunWithCheckpoint, writeRunWithoutCheckpoint } from '../fixtures/lenet5Checkpoint';

let runsDir: string;
let services: HostServices;
const runId = 'lenet5-with-checkpoint';
const images = 24;
const pointMethodRuns: Record<string, Record<string, unknown>> = {
  'a-deterministic-net': { method: 'deterministic' },
  'an-mc-dropout-net': { method: 'mcDropout', dropout: 0.3 },
  'an-ensemble': { method: 'ensemble', members: 2 },
};

beforeAll(async () => {
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-shift-'));
  await writeLenet5RunWithCheckpoint(runsDir, runId);
  await writeRunWithoutCheckpoint(runsDir, 'lenet5-no-checkpoint', 'lenet5');
  await writeRunWithoutCheckpoint(runsDir, 'a-sinusoid', 'sinusoid');
  for (const [id, method] of Object.entries(pointMethodRuns))
    await writeLenet5RunWithCheckpoint(runsDir, id, 400, method);
  services = await openHostServices({
    runsDir,
    shell: 'test',
    warn: () => {},
    shiftSets: {
      imagesPerSet: images,
      kinds: ['rotation', 'roll'],
      referenceSets: async () => ({
        sets: [
          {
            name: 'Noise: uniform',
            description: `${images} images of U[0, 1) pixels.`,
            count: images,
            images: noiseImages('uniform', images, 5),
          },
        ],
        skipped: [],
      }),
    },
  });
}, 60_000);

afterAll(async () => {
  await services?.runManager.close();
  await fs.rm(runsDir, { recursive: true, force: true });
});

describe('dataset shift through the host', { timeout: 300_000 }, () => {
  it('scores every level in increasing shift, stores shift.json, and serves it from the file afterwards', async () => {
    const seen: ShiftProgress[] = [];
    const evaluation = await services.shift.evaluateShift(runId, {
      draws: 3,
      workers: 1,
      onProgress: (progress) => seen.push({ ...progress }),
    });
    expect(evaluation.levels.rotation.map((row) => row.level)).toEqual([
      0, 15, 30, 45, 60, 75, 90, 105, 120, 135, 150, 165, 180,
    ]);
    expect(evaluation.levels.roll.map((row) => row.level)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26]);
    expect(evaluation.levels.translation).toEqual([]);
    expect(evaluation.levels.rotation[0]).toEqual(evaluation.levels.roll[0]);
    for (const row of [...evaluation.levels.rotation, ...evaluation.levels.roll]) {
      expect(row.count).toBe(images);
      expect(row.ece).toBeGreaterThanOrEqual(0);
      expect(row.meanMutualInformation).not.toBeNull(); // VI has an epistemic part
    }
    expect(evaluation).toMatchObject({ runId, checkpointStep: 400, draws: 3, imagesPerSet: images });
    expect(evaluation.ood.map((set) => set.name)).toEqual(['Noise: uniform']);
    expect(evaluation.confidence.sets.map((set) => set.role)).toEqual(['heldout', 'ood']);
    expect(evaluation.confidence.sets[0].countAtThreshold[0]).toBe(images); // every confidence is ≥ 0
    expect(seen.at(-1)).toMatchObject({ done: 1 + 12 + 13 + 1, total: 27 });
    expect(seen.map((progress) => progress.done)).toEqual(
      [...seen.map((progress) => progress.done)].sort((a, b) => a - b),
    );

    const stored = JSON.parse(await fs.readFile(path.join(runsDir, runId, 'shift.json'), 'utf8'));
    expect(shiftEvaluationSchema.parse(stored)).toEqual(evaluation);
    // Computed once: a second request answers from shift.json (same createdAt), without progress.
    const again = await services.shift.evaluateShift(runId, { draws: 3, onProgress: () => seen.push(seen[0]) });
    expect(again.createdAt).toBe(evaluation.createdAt);
    expect(seen.at(-1)!.done).toBe(27);
    expect(await services.api.call('getShiftEvaluation', [runId])).toEqual(evaluation);

    const json = shiftSummaryJson(evaluation) as { rotation: { degrees: number }[]; roll: { pixels: number }[] };
    expect(json.rotation.map((row) => row.degrees)).toEqual(evaluation.levels.rotation.map((row) => row.level));
    expect(Object.keys(json.rotation[1]).sort()).toEqual(
      ['accuracy', 'brier', 'degrees', 'ece', 'meanEntropy', 'meanMutualInformation', 'nll'].sort(),
    );
    expect(json.roll[1].pixels).toBe(2);
  });

  it('says why a regression run and a run without a checkpoint cannot be evaluated', async () => {
    await expect(services.shift.evaluateShift('a-sinusoid')).rejects.toThrow(
      /^Run "a-sinusoid" is a sinusoid run; only LeNet5 runs classify images\.$/,
    );
    await expect(services.shift.evaluateShift('lenet5-no-checkpoint')).rejects.toThrow(
      /^Run "lenet5-no-checkpoint" was stopped at step 10, before its first checkpoint, so it has no network to classify images with; start a new run\.$/,
    );
    await expect(services.shift.evaluateShift(runId, { draws: 0 })).rejects.toThrow(/whole number from 1 to 200/);
  });

  it('shares the draws with a helper thread (workers = 2) and gives the one-thread scores', async () => {
    const alone = await services.shift.evaluateShift(runId, { draws: 4, workers: 1, force: true });
    // Helper threads start in the background on the first request that asks for them (a request
    // never waits for them), so the evaluations before they are ready run on one thread alone.
    let helperDraws = 0;
    let shared = alone;
    for (let attempt = 0; attempt < 6 && helperDraws === 0; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 5000));
      shared = await services.shift.evaluateShift(runId, {
        draws: 4,
        workers: 2,
        force: true,
        onTimings: (timings) => {
          helperDraws = timings.helperDraws;
        },
      });
    }
    expect(helperDraws).toBeGreaterThan(0);
    for (const kind of ['rotation', 'roll'] as const) {
      shared.levels[kind].forEach((row, i) => {
        const reference = alone.levels[kind][i];
        for (const metric of ['accuracy', 'nll', 'brier', 'ece', 'meanEntropy'] as const) {
          expect(row[metric]).toBeCloseTo(reference[metric], 6);
        }
      });
    }
    expect(shared.ood[0].auroc.predictiveEntropy).toBeCloseTo(alone.ood[0].auroc.predictiveEntropy, 6);
  });

  it('evaluates runs of every method: MI is not applicable to the deterministic net', async () => {
    for (const id of Object.keys(pointMethodRuns)) {
      const evaluation = await services.shift.evaluateShift(id, { draws: 3, workers: 2 });
      expect(evaluation.levels.rotation).toHaveLength(13);
      expect(evaluation.levels.roll).toHaveLength(14);
      const deterministic = id === 'a-deterministic-net';
      for (const row of [...evaluation.levels.rotation, ...evaluation.levels.roll]) {
        expect(row.count).toBe(images);
        expect(row.meanMutualInformation === null).toBe(deterministic);
      }
      expect(evaluation.ood[0].auroc.mutualInformation === null).toBe(deterministic);
    }
  });
});

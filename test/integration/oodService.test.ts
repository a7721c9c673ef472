/**
 * The OOD service through the real host (run store, run manager, training worker): files and
 * decoded images classified by a checkpoint's network; every kind of bad input answered per file
 * while the others are classified; a 200-file drop; calibration and a stored evaluation; and a
 * training run that classification requests are served between the steps of, which still gives
 * exactly the numbers of an undisturbed run.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassifiedImage } from '../../core/contract/ood';
import type { RunEvent } from '../../core/contract/runEvent';
import { sinusoidPresets } from '../../core/experiments/sinusoid/presets';
import { openHostServices, type HostServices } from '../../electron/host/hostServices';
import { OodService } from '../../electron/host/oodService';
import type { OodRequestMessage } from '../../electron/worker/messages';
import { RunStore } from '../../electron/host/runStore';
import { writeLenet5RunWithCheckpoint, writeRunWithoutCheckpoint } from '../fixtures/lenet5Checkpoint';
import { writeOodFixtureFiles, type OodFixtureFiles } from '../fixtures/oodImageFiles';

let runsDir: string;
let files: OodFixtureFiles;
let services: HostServices;
const runId = 'lenet5-with-checkpoint';

beforeAll(async () => {
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-ood-'));
  files = await writeOodFixtureFiles(path.join(runsDir, '..', `${path.basename(runsDir)}-files`));
  await writeLenet5RunWithCheckpoint(runsDir, runId);
  await writeRunWithoutCheckpoint(runsDir, 'lenet5-no-checkpoint', 'lenet5');
  await writeRunWithoutCheckpoint(runsDir, 'a-sinusoid', 'sinusoid');
  services = await openHostServices({ runsDir, shell: 'test', warn: () => {} });
}, 60_000);

afterAll(async () => {
  await services?.runManager.close();
  await fs.rm(runsDir, { recursive: true, force: true });
  await fs.rm(path.dirname(files.digit), { recursive: true, force: true });
});

const errorOf = (result: ClassifiedImage) => (result.ok ? null : result.error);
/** The service's own tests name files the way the CLI does: every path is the caller's to read. */
const everyPath = () => true;

describe('classifying files through the host', { timeout: 120_000 }, () => {
  it('classifies the good files and answers every bad one with its own message', async () => {
    const paths = [
      files.digit,
      files.notAnImage,
      files.corrupt,
      files.truncated,
      files.empty,
      files.declaredHuge,
      files.overSized,
      files.missing,
      files.folder,
      files.blank,
      files.noise,
      files.letter,
    ];
    const result = await services.ood.classifyFiles(runId, paths, { draws: 8 }, everyPath);
    expect(result).toMatchObject({ runId, checkpointStep: 400, draws: 8, threshold: 0.2 });
    expect(result.results.map((r) => r.name)).toEqual(paths);
    const byFile = new Map(result.results.map((r) => [r.name, r]));
    for (const good of [files.digit, files.noise, files.letter]) {
      const verdict = byFile.get(good)!;
      if (!verdict.ok) throw new Error(`${good}: ${verdict.error}`);
      expect(verdict.preprocessed28).toHaveLength(784);
      expect(verdict.drawProbabilities).toHaveLength(8);
      expect(verdict.meanProbabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(verdict.mutualInformation).toBeCloseTo(verdict.predictiveEntropy - verdict.expectedEntropy, 6);
      expect(verdict.refused).toBe(verdict.maxProbability < 0.2);
    }
    expect(byFile.get(files.digit)).toMatchObject({ ok: true, inverted: true, width: 112, height: 112 });
    expect(errorOf(byFile.get(files.notAnImage)!)).toMatch(
      /^"notes.txt" is not an image this workbench can read \(.+\); use a PNG, JPEG/,
    );
    expect(errorOf(byFile.get(files.corrupt)!)).toMatch(
      /^"corrupt.png" could not be decoded \(.+\); the file is damaged or truncated\.$/,
    );
    expect(errorOf(byFile.get(files.truncated)!)).toMatch(
      /^"truncated.png" could not be decoded \(.+\); the file is damaged or truncated\.$/,
    );
    expect(errorOf(byFile.get(files.empty)!)).toBe('"empty.png" is empty (0 bytes); it holds no image.');
    expect(errorOf(byFile.get(files.declaredHuge)!)).toBe(
      '"bomb-20000x20000.png" declares 20000×20000 pixels (400 megapixels); the largest image accepted is 40 megapixels.',
    );
    expect(errorOf(byFile.get(files.overSized)!)).toBe(
      '"huge-51MB.png" is 51.0 MB; the largest image file accepted is 50.0 MB.',
    );
    expect(errorOf(byFile.get(files.missing)!)).toBe(`"${files.missing}" cannot be read (no such file).`);
    expect(errorOf(byFile.get(files.folder)!)).toBe(`"${files.folder}" is a folder, not an image file.`);
    expect(errorOf(byFile.get(files.blank)!)).toMatch(/is blank: no pixel stands out from the background/);
  });

  it('classifies the same image to the same verdict every time (seeded draws)', async () => {
    const [first, second] = await Promise.all([
      services.ood.classifyFiles(runId, [files.digit], undefined, everyPath),
      services.ood.classifyFiles(runId, [files.digit], undefined, everyPath),
    ]);
    expect(first.results[0]).toEqual(second.results[0]);
    expect(first.draws).toBe(50);
  });

  it('takes a 200-file drop in bounded batches and answers all of them', async () => {
    const paths = Array.from(
      { length: 200 },
      (_, i) => [files.digit, files.noise, files.letter, files.corrupt, files.missing][i % 5],
    );
    const started = performance.now();
    const result = await services.ood.classifyFiles(runId, paths, { draws: 5 }, everyPath);
    expect(result.results).toHaveLength(200);
    expect(result.results.filter((r) => r.ok)).toHaveLength(120);
    expect(result.results.filter((r) => !r.ok)).toHaveLength(80);
    expect(performance.now() - started).toBeLessThan(60_000);
  });

  it('checks decoded images one by one: a wrong pixel count or a blank image fails alone', async () => {
    const square = {
      name: 'square',
      width: 10,
      height: 10,
      pixels: Array.from({ length: 100 }, (_, i) => (i % 10 > 2 && i % 10 < 7 && i > 20 && i < 80 ? 255 : 0)),
    };
    const result = await services.ood.classifyImages(runId, [
      square,
      { name: 'short', width: 10, height: 10, pixels: [1, 2, 3] },
      { name: 'blank', width: 4, height: 4, pixels: new Array(64).fill(255) },
    ]);
    expect(result.results.map((r) => r.ok)).toEqual([true, false, false]);
    expect(errorOf(result.results[1])).toBe('"short" is 10×10, so it needs 100 grey or 400 RGBA values; 3 were sent.');
    expect(errorOf(result.results[2])).toMatch(/"blank" is blank/);
  });

  it('validates the API arguments and names the runs it cannot use', async () => {
    const granted = { pathGrant: everyPath };
    await expect(services.api.call('classifyImages', [runId, []])).rejects.toThrow(
      /classifyImages: the arguments are not valid/,
    );
    await expect(services.api.call('classifyFiles', [runId, [files.digit], { draws: 0 }], granted)).rejects.toThrow(
      /argument 2\.draws/,
    );
    await expect(services.api.call('classifyFiles', ['lenet5-no-checkpoint', [files.digit]], granted)).rejects.toThrow(
      'classifyFiles: Run "lenet5-no-checkpoint" was stopped at step 10, before its first checkpoint, so it has no network to classify images with; start a new run.',
    );
    await expect(services.api.call('classifyFiles', ['a-sinusoid', [files.digit]], granted)).rejects.toThrow(
      'Run "a-sinusoid" is a sinusoid run; only LeNet5 runs classify images.',
    );
    await expect(services.api.call('classifyFiles', ['no-such-run', [files.digit]], granted)).rejects.toThrow(
      /no-such-run/,
    );
    const ok = (await services.api.call('classifyFiles', [runId, [files.letter]], granted)) as {
      results: ClassifiedImage[];
    };
    expect(ok.results[0].ok).toBe(true);
  });
});

describe('the classification request to the worker', { timeout: 120_000 }, () => {
  it('names the checkpoint by {runId, step, checksum}: no parameters or Adam moments cross for inference', async () => {
    const sent: Omit<OodRequestMessage, 'requestId'>[] = [];
    const spying = new OodService({
      runs: {
        getRun: (id) => services.runManager.getRun(id),
        requestClassification: (message) => {
          sent.push(message);
          return services.runManager.requestClassification(message);
        },
      },
      store: new RunStore(runsDir),
    });
    const bytes = await fs.readFile(files.digit);
    const result = await spying.classifyImageFiles(runId, [{ name: 'digit.png', base64: bytes.toString('base64') }], {
      draws: 4,
    });
    expect(result.results[0].ok).toBe(true);
    expect(sent).toHaveLength(1);
    const { sets, network, ...rest } = sent[0];
    expect(Object.keys(rest).sort()).toEqual(['config', 'draws', 'priority', 'runId', 'seed', 'type']);
    expect(network).toEqual({
      runDir: path.join(runsDir, runId),
      step: 400,
      checksum: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
    // The only numbers that cross are the one image's 28×28 pixels.
    expect(sets).toEqual([{ name: 'images', source: 'pixels', count: 1, images: expect.any(Float32Array) }]);
    expect((sets[0] as { images: Float32Array }).images).toHaveLength(784);
  });
});

describe('calibration and evaluation', { timeout: 120_000 }, () => {
  it('calibrates on held-out digits, evaluates small OOD sets, stores ood.json and reads it back', async () => {
    const calibration = await services.ood.calibrateThreshold(runId);
    expect(calibration).toMatchObject({
      runId,
      checkpointStep: 400,
      draws: 50,
      acceptFraction: 0.95,
      heldoutCount: 1000,
    });
    expect(calibration.threshold).toBeGreaterThan(0);

    const noise = new Float32Array(20 * 784).map((_, i) => ((i * 7919) % 101) / 100);
    const small = new OodService({
      runs: services.runManager,
      store: new RunStore(runsDir),
      referenceSets: async () => ({
        sets: [{ name: 'Noise: test', description: '20 images', count: 20, images: noise }],
        skipped: [],
      }),
    });
    expect(await small.getOodEvaluation(runId)).toBeNull();
    const evaluation = await small.evaluateOod(runId);
    expect(evaluation).toMatchObject({ runId, checkpointStep: 400, draws: 50, threshold: 0.2, acceptFraction: 0.95 });
    expect(evaluation.calibratedThreshold).toBeCloseTo(calibration.threshold, 6);
    expect(evaluation.inDistribution.count).toBe(1000);
    expect(evaluation.outOfDistribution[0].scores!.predictiveEntropy!.auroc).toBeGreaterThanOrEqual(0);
    expect(await small.getOodEvaluation(runId)).toEqual(evaluation);
    expect(await services.api.call('getOodEvaluation', [runId])).toEqual(evaluation);
    // The stored evaluation is current, so calibration now reads it instead of drawing again.
    expect((await services.ood.calibrateThreshold(runId)).threshold).toBe(evaluation.calibratedThreshold);
  });
});

describe('stored OOD evaluations of point methods', { timeout: 300_000 }, () => {
  const noise = new Float32Array(20 * 784).map((_, i) => ((i * 7919) % 101) / 100);
  const service = () =>
    new OodService({
      runs: services.runManager,
      store: new RunStore(runsDir),
      referenceSets: async () => ({
        sets: [{ name: 'Noise: test', description: '20 images', count: 20, images: noise }],
        skipped: [],
      }),
    });

  it('marks mutual information not applicable for a deterministic run and scores its single pass', async () => {
    await writeLenet5RunWithCheckpoint(runsDir, 'deterministic-run', 400, { method: 'deterministic' });
    const evaluation = await service().evaluateOod('deterministic-run');
    // One pass, whatever T the service asks for: the method has one set of point weights.
    expect(evaluation.draws).toBe(1);
    const scores = evaluation.outOfDistribution[0].scores!;
    expect(Object.keys(scores).sort()).toEqual(['maxProbability', 'predictiveEntropy']);
    expect(evaluation.notApplicable?.mutualInformation).toMatch(/^not applicable: the method has no epistemic part/);
    // What is stored is what was returned, "not applicable" included.
    expect(await service().getOodEvaluation('deterministic-run')).toEqual(evaluation);
  });

  it("scores an ensemble's M members as its draws, mutual information included", async () => {
    await writeLenet5RunWithCheckpoint(runsDir, 'ensemble-run', 400, { method: 'ensemble', members: 2 });
    const evaluation = await service().evaluateOod('ensemble-run');
    expect(evaluation.draws).toBe(2);
    expect(evaluation.notApplicable).toBeUndefined();
    expect(evaluation.outOfDistribution[0].scores!.mutualInformation!.auroc).toBeGreaterThanOrEqual(0);
  });
});

describe('classification between training steps', { timeout: 180_000 }, () => {
  it('serves requests while a run trains, and the run gives exactly the numbers it gives undisturbed', async () => {
    const config = { ...sinusoidPresets[0].config, seed: 5, epochs: 300, backend: 'cpu' as const };
    const losses = async (classifyMeanwhile: boolean) => {
      const record = await services.runManager.startRun({ config });
      const events: RunEvent[] = [];
      const unsubscribe = services.runManager.subscribe((event) => event.runId === record.id && events.push(event));
      const verdicts: ClassifyResultCount[] = [];
      if (classifyMeanwhile) {
        // Wait until it trains, then ask while it does.
        while ((await services.runManager.getRun(record.id)).state !== 'running')
          await new Promise((resolve) => setTimeout(resolve, 20));
        for (let i = 0; i < 3; i += 1)
          verdicts.push({
            count: (
              await services.ood.classifyFiles(runId, [files.digit, files.noise], { draws: 10 }, everyPath)
            ).results.filter((r) => r.ok).length,
          });
      }
      const final = await services.runManager.waitForRun(record.id);
      unsubscribe();
      expect(final.state).toBe('completed');
      const stored = await services.runManager.getRunEvents(record.id);
      return {
        losses: stored.flatMap((event) => (event.type === 'metrics' ? [event.loss] : [])),
        verdicts,
        duringRun: classifyMeanwhile ? events.length : 0,
      };
    };
    const alone = await losses(false);
    const disturbed = await losses(true);
    expect(disturbed.verdicts).toEqual([{ count: 2 }, { count: 2 }, { count: 2 }]);
    expect(disturbed.losses).toHaveLength(300);
    expect(disturbed.losses).toEqual(alone.losses);
  });
});

type ClassifyResultCount = { count: number };

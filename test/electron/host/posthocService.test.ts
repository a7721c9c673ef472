/**
 * Post-hoc fits stored with their run: written through the run store (atomic, no temporary file
 * left), read back with a size cap and never through a link; a corrupt, oversized or foreign file is
 * left out with a sentence naming it and stays on disk as it was; the API answers with the fits.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { POSTHOC_FIT_FORMAT, POSTHOC_FIT_MAX_BYTES, type PosthocFit } from '../../../core/contract/posthoc';
import { lenet5ConfigSchema } from '../../../core/contract/runConfig';
import type { RunRecord } from '../../../core/contract/workbenchApi';
import { openHostServices } from '../../../electron/host/hostServices';
import { PosthocService, PosthocServiceError, posthocFitOf } from '../../../electron/host/posthocService';
import { RunStore } from '../../../electron/host/runStore';

const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', steps: 30, method: 'deterministic' });

function record(id: string): RunRecord {
  return {
    id,
    name: id,
    tags: [],
    config,
    state: 'completed',
    createdAt: '2026-11-29T18:00:00.000Z',
    step: 30,
    totalSteps: 30,
  };
}

/** What the post-hoc worker answers for `evaluate temperature` (core/methods/posthoc), trimmed. */
const temperatureResult = {
  method: 'temperature',
  backend: 'wasm',
  checkpointStep: 30,
  baseMethod: 'deterministic',
  validationFraction: 0.1,
  before: { ece: 0.008, heldoutNats: -0.0823, accuracy: 0.983, brier: 0.0297, aurc: 0.00099 },
  after: { ece: 0.0094, heldoutNats: -0.0729, accuracy: 0.983, brier: 0.0299, aurc: 0.00097 },
  ood: {
    sets: [
      {
        name: 'Fashion-MNIST',
        before: { maxProbability: { auroc: 0.9128, fprAt95Tpr: 0.406 } },
        after: { maxProbability: { auroc: 0.9187, fprAt95Tpr: 0.404 } },
      },
    ],
    notApplicable: { after: { mutualInformation: 'not applicable: one set of probabilities' } },
  },
  temperature: 1.649,
  validationNllBefore: 0.1121,
  validationNllAfter: 0.0911,
  atBound: null,
  draws: 1,
  validationImages: 900,
  heldoutImages: 1000,
};

const context = {
  runId: 'det-0',
  method: 'temperatureScaling' as const,
  baseMethod: 'deterministic' as const,
  taskKind: 'classification' as const,
  createdAt: '2026-11-29T18:00:00.000Z',
  seconds: 2.7,
};

let runsDir: string;
let store: RunStore;
let warnings: string[];
let service: PosthocService;

beforeEach(async () => {
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-posthoc-'));
  store = new RunStore(runsDir, { flushIntervalMs: 20 });
  await store.createRun(record('det-0'));
  warnings = [];
  service = new PosthocService({ store, warn: (message) => warnings.push(message) });
});

afterEach(async () => {
  await store.close();
  await fs.rm(runsDir, { recursive: true, force: true });
});

const fileOf = (name: string) => path.join(runsDir, 'det-0', name);

describe('storing a post-hoc fit with its run', () => {
  it('keeps the scores before and after, the temperature, the validation size and the date', () => {
    const fit = posthocFitOf(temperatureResult, context);
    expect(fit).toMatchObject({
      format: POSTHOC_FIT_FORMAT,
      runId: 'det-0',
      method: 'temperatureScaling',
      baseMethod: 'deterministic',
      temperature: 1.649,
      validationImages: 900,
      validationFraction: 0.1,
      createdAt: '2026-11-29T18:00:00.000Z',
      checkpointStep: 30,
      seconds: 2.7,
    });
    expect(fit.after.ece).toBe(0.0094);
    expect(fit.ood?.sets[0].after.maxProbability?.auroc).toBe(0.9187);
  });

  it('refuses a result without scores with a sentence, before anything is written', () => {
    expect(() => posthocFitOf({ ...temperatureResult, after: 'none' }, context)).toThrow(PosthocServiceError);
    expect(() => posthocFitOf({ ...temperatureResult, after: 'none' }, context)).toThrow(
      /Temperature scaling result of run "det-0" cannot be stored: after/,
    );
  });

  it('writes posthoc-<method>.json atomically and reads every fit back', async () => {
    const temperature = posthocFitOf(temperatureResult, context);
    const laplace: PosthocFit = {
      ...posthocFitOf({ ...temperatureResult, temperature: undefined, priorPrecision: 2.5, hessian: 'kron' }, context),
      method: 'laplace',
    };
    await service.storeFit(temperature);
    await service.storeFit(laplace);
    const files = await fs.readdir(path.join(runsDir, 'det-0'));
    expect(files).toContain('posthoc-temperatureScaling.json');
    expect(files).toContain('posthoc-laplace.json');
    expect(files.filter((file) => file.includes('.tmp'))).toEqual([]);
    const read = await service.getPosthocFits('det-0');
    expect(read.problems).toEqual([]);
    expect(read.fits).toEqual([temperature, laplace]);
    expect(read.fits[1].hessian).toBe('kron');
  });

  it('answers no fits for a run that has none', async () => {
    expect(await service.getPosthocFits('det-0')).toEqual({ fits: [], problems: [] });
  });

  it('refuses a training method as a post-hoc fit', async () => {
    const fit = { ...posthocFitOf(temperatureResult, context), method: 'vi' as const };
    await expect(service.storeFit(fit)).rejects.toThrow(/Mean-field VI is a training method, not a post-hoc one/);
  });
});

describe('reading stored fits that are not what they should be', () => {
  it('leaves out a corrupt file with a clear message, keeps it on disk and still reads the other fit', async () => {
    await service.storeFit({ ...posthocFitOf(temperatureResult, context), method: 'laplace' });
    await fs.writeFile(fileOf('posthoc-temperatureScaling.json'), '{"format": "bayesian-workbench/posthoc@1", "ru');
    const read = await service.getPosthocFits('det-0');
    expect(read.fits.map((fit) => fit.method)).toEqual(['laplace']);
    expect(read.problems).toHaveLength(1);
    expect(read.problems[0]).toMatch(
      /^runs\/det-0\/posthoc-temperatureScaling\.json is not valid JSON \(.*\); it is left out of the methods table \(fit Temperature scaling again to replace it\)\.$/,
    );
    expect(warnings).toEqual(read.problems);
    expect(await fs.readFile(fileOf('posthoc-temperatureScaling.json'), 'utf8')).toBe(
      '{"format": "bayesian-workbench/posthoc@1", "ru',
    );
  });

  it('leaves out valid JSON that is not a fit, and a fit of another run', async () => {
    await fs.writeFile(fileOf('posthoc-temperatureScaling.json'), JSON.stringify({ hello: 1 }));
    await fs.writeFile(
      fileOf('posthoc-laplace.json'),
      JSON.stringify({ ...posthocFitOf(temperatureResult, { ...context, runId: 'other' }), method: 'laplace' }),
    );
    const read = await service.getPosthocFits('det-0');
    expect(read.fits).toEqual([]);
    expect(read.problems[0]).toMatch(/posthoc-temperatureScaling\.json is not a valid post-hoc fit \(format: /);
    expect(read.problems[1]).toMatch(
      /posthoc-laplace\.json holds a Last-layer Laplace fit of run "other", not this run's/,
    );
  });

  it('does not read an oversized file past its cap, and leaves it as it was', async () => {
    const big = `${JSON.stringify(posthocFitOf(temperatureResult, context))}${' '.repeat(POSTHOC_FIT_MAX_BYTES)}`;
    await fs.writeFile(fileOf('posthoc-temperatureScaling.json'), big);
    const read = await service.getPosthocFits('det-0');
    expect(read.fits).toEqual([]);
    expect(read.problems[0]).toMatch(/posthoc-temperatureScaling\.json could not be read \(.*at most 0\.3 MB is read/);
    expect((await fs.stat(fileOf('posthoc-temperatureScaling.json'))).size).toBe(Buffer.byteLength(big));
  });

  it('never follows a link in the run folder', async () => {
    const elsewhere = path.join(runsDir, 'elsewhere.json');
    await fs.writeFile(elsewhere, JSON.stringify(posthocFitOf(temperatureResult, context)));
    await fs.symlink(elsewhere, fileOf('posthoc-temperatureScaling.json'));
    const read = await service.getPosthocFits('det-0');
    expect(read.fits).toEqual([]);
    expect(read.problems[0]).toMatch(/symbolic link/);
  });
});

describe('the API', () => {
  it("answers getPosthocFits with the stored fits, and an unknown run with the store's error", async () => {
    await store.close();
    const services = await openHostServices({ runsDir, shell: 'test', access: 'owner', recoverRuns: false });
    try {
      const fit = posthocFitOf(temperatureResult, context);
      await services.posthoc.storeFit(fit);
      expect(await services.api.call('getPosthocFits', ['det-0'])).toEqual({ fits: [fit], problems: [] });
      await expect(services.api.call('getPosthocFits', ['nope'])).rejects.toThrow(/nope/);
      // fitPosthoc asks the registry before anything runs: Laplace needs a deterministic run, and a
      // training method is no post-hoc fit. Nothing is written for a refusal.
      const vi = { ...record('vi-0'), config: lenet5ConfigSchema.parse({ experiment: 'lenet5', steps: 30 }) };
      await fs.mkdir(path.join(runsDir, 'vi-0'));
      await fs.writeFile(path.join(runsDir, 'vi-0', 'run.json'), JSON.stringify({ ...vi, checkpointStep: 30 }));
      await fs.writeFile(path.join(runsDir, 'vi-0', 'events.ndjson'), '');
      await expect(services.api.call('fitPosthoc', ['vi-0', 'laplace'])).rejects.toThrow(
        /Last-layer Laplace cannot be applied to a Mean-field VI run\. .*Train a deterministic run/,
      );
      // A VI run trained on every image (no validation split): temperature scaling is refused, not
      // fitted on the held-out images.
      await expect(services.api.call('fitPosthoc', ['vi-0', 'temperatureScaling'])).rejects.toThrow(
        /Temperature scaling fits on a validation split held out of training, and this run trained on every training image/,
      );
      await expect(services.api.call('fitPosthoc', ['det-0', 'vi'])).rejects.toThrow(
        /Mean-field VI is a training method/,
      );
      // det-0 has no checkpoint in its record: said before any worker starts.
      await expect(services.api.call('fitPosthoc', ['det-0', 'temperatureScaling'])).rejects.toThrow(
        /Run "det-0" has no checkpoint yet/,
      );
      expect((await fs.readdir(path.join(runsDir, 'vi-0'))).filter((file) => file.startsWith('posthoc-'))).toEqual([]);
    } finally {
      await services.runManager.close();
    }
    store = new RunStore(runsDir);
  });
});

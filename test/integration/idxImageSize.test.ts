/**
 * A user's IDX folder whose images are not 28×28 (32×32 gzipped, 20×20 plain; written by code into
 * a temporary folder): `train --dataset idx:DIR` and the host's startRun refuse it before a run
 * folder exists, with the size found and what to do; a LeNet5 run whose 28×28 folder was rewritten
 * with 32×32 images since it trained gets the same clear message from the shift evaluation before
 * the worker loads anything, and a run that failed before its first checkpoint is told it never
 * will have one (not "no checkpoint yet").
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHostServices, type HostServices } from '../../electron/host/hostServices';
import { runCli } from '../fixtures/cliProcess';
import { writeIdxFolder } from '../fixtures/idxFolder';
import { writeLenet5RunWithCheckpoint, writeRunWithoutCheckpoint } from '../fixtures/lenet5Checkpoint';

let root: string;
let runsDir: string;
let services: HostServices | undefined;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-idx-sizes-'));
  runsDir = path.join(root, 'runs');
  await fs.mkdir(runsDir);
  await writeIdxFolder(path.join(root, 'padded-32'), { rows: 32, cols: 32 });
  await writeIdxFolder(path.join(root, 'small-20'), { rows: 20, cols: 20, gzip: false });
  await writeIdxFolder(path.join(root, 'rewritten'), { rows: 28, cols: 28 });
}, 60_000);

afterAll(async () => {
  await services?.runManager.close();
  await fs.rm(root, { recursive: true, force: true });
});

const runFolders = async () => (await fs.readdir(runsDir)).filter((entry) => !entry.startsWith('.'));

describe('IDX folders of another image size', { timeout: 120_000 }, () => {
  it('train --dataset idx:DIR refuses 32×32 images before creating a run', async () => {
    const folder = path.join(root, 'padded-32');
    const result = await runCli([
      'train',
      '--experiment',
      'lenet5',
      '--dataset',
      `idx:${folder}`,
      '--steps',
      '2',
      '--runs-dir',
      runsDir,
      '--json',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `Error: The dataset folder "${folder}" holds 32×32 images (train-images-idx3-ubyte.gz), but Bayesian LeNet5 (Flipout) on MNIST ` +
        'takes 28×28 images, as MNIST; no run was started. Crop or pad the images to 28×28 and write the IDX files again.',
    );
    expect(await runFolders()).toEqual([]);
  });

  it('the host refuses 20×20 images at startRun and lists no run; the shift evaluation of runs that cannot have one says why', async () => {
    await writeLenet5RunWithCheckpoint(runsDir, 'trained-on-idx', 400, {
      dataset: `idx:${path.join(root, 'rewritten')}`,
    });
    await writeRunWithoutCheckpoint(runsDir, 'failed-early', 'lenet5', {
      state: 'failed',
      step: 0,
      message: 'The dataset folder "/data/x" has no train-images-idx3-ubyte (or train-images-idx3-ubyte.gz).',
    });
    services = await openHostServices({ runsDir, shell: 'test', warn: () => {} });
    const small = path.join(root, 'small-20');
    await expect(
      services.runManager.startRun({ config: { experiment: 'lenet5', dataset: `idx:${small}`, steps: 2 } }),
    ).rejects.toThrow(`The dataset folder "${small}" holds 20×20 images (train-images-idx3-ubyte)`);
    expect((await services.runManager.listRuns()).runs.map((run) => run.id).sort()).toEqual([
      'failed-early',
      'trained-on-idx',
    ]);

    // The folder the run trained on, rewritten since with 32×32 images.
    await writeIdxFolder(path.join(root, 'rewritten'), { rows: 32, cols: 32 });
    await expect(services.shift.evaluateShift('trained-on-idx', { draws: 1 })).rejects.toThrow(
      `holds 32×32 images (train-images-idx3-ubyte.gz), but Bayesian LeNet5 (Flipout) on MNIST takes 28×28 images, as MNIST; ` +
        'the held-out images of run "trained-on-idx" cannot be shifted and scored.',
    );
    await expect(services.shift.evaluateShift('failed-early')).rejects.toThrow(
      /^Run "failed-early" failed at step 0, before its first checkpoint \(The dataset folder "\/data\/x" has no .+\.gz\)\), so it has no network to classify images with; start a new run\.$/,
    );
    expect(await fs.readdir(path.join(runsDir, 'trained-on-idx'))).not.toContain('shift.json');
  });
});

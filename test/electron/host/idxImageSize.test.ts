/**
 * The host's check of a user's IDX folder before a run starts (electron/host/idxImageSize.ts): the
 * image size read from the images files' headers, gzipped or not, without needing the rest of the
 * file; a LeNet5 configuration on 32×32 or 20×20 images refused with the sizes, the file and what
 * to do; 28×28 folders, bundled datasets, regression runs and unreadable folders let through (the
 * worker's load reports what is wrong with those).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdxImages } from '../../../core/data/idx';
import { lenet5ConfigSchema } from '../../../core/contract/runConfig';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import { assertIdxImageSize, idxImageSizes } from '../../../electron/host/idxImageSize';
import { writeIdxFolder } from '../../fixtures/idxFolder';

let root: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-idx-size-'));
  await writeIdxFolder(path.join(root, 'mnist-sized'), { rows: 28, cols: 28 });
  await writeIdxFolder(path.join(root, 'padded-32'), { rows: 32, cols: 32 });
  await writeIdxFolder(path.join(root, 'small-20'), { rows: 20, cols: 20, gzip: false });
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const lenet5On = (folder: string) => lenet5ConfigSchema.parse({ experiment: 'lenet5', dataset: `idx:${folder}` });

describe('the image size of an IDX folder', () => {
  it('is read from the headers of the train and t10k images files, gzipped or not', async () => {
    expect(await idxImageSizes(path.join(root, 'padded-32'))).toEqual([
      { file: 'train-images-idx3-ubyte.gz', rows: 32, cols: 32 },
      { file: 't10k-images-idx3-ubyte.gz', rows: 32, cols: 32 },
    ]);
    expect(await idxImageSizes(path.join(root, 'small-20'))).toEqual([
      { file: 'train-images-idx3-ubyte', rows: 20, cols: 20 },
      { file: 't10k-images-idx3-ubyte', rows: 20, cols: 20 },
    ]);
  });

  it('needs only the start of a file: a gzip stream cut after its first 300 bytes still gives the header', async () => {
    const folder = path.join(root, 'cut');
    await fs.mkdir(folder);
    let state = 7;
    const pixels = Uint8Array.from({ length: 500 * 24 * 24 }, () => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state >>> 24;
    });
    const whole = gzipSync(encodeIdxImages(pixels, 500, 24, 24));
    expect(whole.length).toBeGreaterThan(5_000);
    await fs.writeFile(path.join(folder, 'train-images-idx3-ubyte.gz'), whole.subarray(0, 300));
    expect(await idxImageSizes(folder)).toEqual([{ file: 'train-images-idx3-ubyte.gz', rows: 24, cols: 24 }]);
  });

  it('refuses a LeNet5 configuration on 32×32 or 20×20 images, saying what was found and what to do', async () => {
    const padded = path.join(root, 'padded-32');
    await expect(assertIdxImageSize(lenet5On(padded), 'no run was started')).rejects.toThrow(
      `The dataset folder "${padded}" holds 32×32 images (train-images-idx3-ubyte.gz), but Bayesian LeNet5 (Flipout) on MNIST ` +
        'takes 28×28 images, as MNIST; no run was started. Crop or pad the images to 28×28 and write the IDX files again.',
    );
    await expect(assertIdxImageSize(lenet5On(path.join(root, 'small-20')), 'no run was started')).rejects.toThrow(
      /holds 20×20 images \(train-images-idx3-ubyte\)/,
    );
  });

  it('lets through 28×28 folders, bundled datasets, regression runs and folders it cannot read', async () => {
    await expect(assertIdxImageSize(lenet5On(path.join(root, 'mnist-sized')), 'x')).resolves.toBeUndefined();
    await expect(assertIdxImageSize(lenet5ConfigSchema.parse({ experiment: 'lenet5' }), 'x')).resolves.toBeUndefined();
    await expect(assertIdxImageSize(sinusoidPresets[0].config, 'x')).resolves.toBeUndefined();
    await expect(assertIdxImageSize(lenet5On(path.join(root, 'missing')), 'x')).resolves.toBeUndefined();
    const notIdx = path.join(root, 'not-idx');
    await fs.mkdir(notIdx);
    await fs.writeFile(path.join(notIdx, 'train-images-idx3-ubyte'), 'hello, this is not an IDX file at all');
    await expect(assertIdxImageSize(lenet5On(notIdx), 'x')).resolves.toBeUndefined();
  });
});

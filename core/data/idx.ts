/**
 * The IDX format of MNIST-like datasets (LeCun et al., http://yann.lecun.com/exdb/mnist/):
 * a big-endian header — two zero bytes, a type byte (0x08 = unsigned byte), a dimension count —
 * then one big-endian uint32 per dimension, then the values row-major. Images are
 * `0x00000803` with dimensions [n, rows, cols]; labels are `0x00000801` with dimension [n].
 *
 * This module parses bytes that were already read (and gunzipped) by a host; it never touches files.
 */

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

/** A malformed IDX file; the message names the file, what was expected and what was found. */
export class IdxFormatError extends Error {
  override name = 'IdxFormatError';
}

export interface IdxImages {
  /** Pixels scaled to [0, 1] (byte / 255), image after image, row-major. */
  pixels: Float32Array;
  count: number;
  rows: number;
  cols: number;
}

const hex32 = (value: number): string => `0x${(value >>> 0).toString(16).padStart(8, '0')}`;

function readUint32BigEndian(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

function writeUint32BigEndian(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 24) & 0xff;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

/** Checks the magic number and exact byte length; returns the dimensions. */
function readHeader(bytes: Uint8Array, fileName: string, magic: number, dimensionNames: string[]): number[] {
  const headerBytes = 4 + 4 * dimensionNames.length;
  if (bytes.length < 4) {
    throw new IdxFormatError(
      `${fileName}: the file has ${bytes.length} bytes, too few for an IDX header; is this an IDX file?`,
    );
  }
  const foundMagic = readUint32BigEndian(bytes, 0);
  if (foundMagic !== magic) {
    throw new IdxFormatError(
      `${fileName}: magic number ${hex32(magic)} expected, found ${hex32(foundMagic)}; ` +
        (foundMagic >>> 16 === 0x1f8b
          ? 'the file looks gzip-compressed; decompress it first.'
          : `is this an IDX ${magic === IDX_IMAGES_MAGIC ? 'images' : 'labels'} file?`),
    );
  }
  if (bytes.length < headerBytes) {
    throw new IdxFormatError(
      `${fileName}: a ${headerBytes}-byte header expected, found only ${bytes.length} bytes; the file is truncated.`,
    );
  }
  const dimensions = dimensionNames.map((_, index) => readUint32BigEndian(bytes, 4 + 4 * index));
  let valueCount = 1;
  for (const dimension of dimensions) valueCount *= dimension;
  const expectedBytes = headerBytes + valueCount;
  if (bytes.length !== expectedBytes) {
    const shape = dimensions.map((d, i) => `${dimensionNames[i]} ${d}`).join(', ');
    throw new IdxFormatError(
      `${fileName}: ${expectedBytes} bytes expected (${headerBytes}-byte header + ${valueCount} values for ${shape}), ` +
        `found ${bytes.length}; ` +
        (bytes.length < expectedBytes
          ? 'the file is truncated, download or copy it again.'
          : 'the file has trailing bytes; is it the right file?'),
    );
  }
  return dimensions;
}

/**
 * The file names of an MNIST-style IDX folder (each may also end in `.gz`): the spelling of
 * LeCun's site first, then the dotted one some mirrors use.
 */
export const IDX_FILE_NAMES = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
} as const;

/**
 * The dimensions an IDX images file declares, from its first 16 bytes only (the rest of the file
 * is not needed, so a host can check a folder's image size before loading anything).
 */
export function readIdxImagesHeader(
  bytes: Uint8Array,
  fileName = 'images',
): { count: number; rows: number; cols: number } {
  if (bytes.length < 16) {
    throw new IdxFormatError(
      `${fileName}: a 16-byte header expected, found only ${bytes.length} bytes; is this an IDX images file?`,
    );
  }
  const foundMagic = readUint32BigEndian(bytes, 0);
  if (foundMagic !== IDX_IMAGES_MAGIC) {
    throw new IdxFormatError(
      `${fileName}: magic number ${hex32(IDX_IMAGES_MAGIC)} expected, found ${hex32(foundMagic)}; is this an IDX images file?`,
    );
  }
  return {
    count: readUint32BigEndian(bytes, 4),
    rows: readUint32BigEndian(bytes, 8),
    cols: readUint32BigEndian(bytes, 12),
  };
}

/** Parses an IDX images file (`…-images-idx3-ubyte`) into pixels in [0, 1]. */
export function parseIdxImages(bytes: Uint8Array, fileName = 'images'): IdxImages {
  const [count, rows, cols] = readHeader(bytes, fileName, IDX_IMAGES_MAGIC, ['images', 'rows', 'columns']);
  if (count === 0 || rows === 0 || cols === 0) {
    throw new IdxFormatError(
      `${fileName}: at least one image of at least 1×1 pixels expected, found ${count} images of ${rows}×${cols}.`,
    );
  }
  const values = bytes.subarray(16);
  const pixels = new Float32Array(values.length);
  for (let i = 0; i < values.length; i += 1) pixels[i] = values[i] / 255;
  return { pixels, count, rows, cols };
}

/** Parses an IDX labels file (`…-labels-idx1-ubyte`); every label must be below `classes`. */
export function parseIdxLabels(bytes: Uint8Array, fileName = 'labels', classes = 10): Uint8Array {
  const [count] = readHeader(bytes, fileName, IDX_LABELS_MAGIC, ['labels']);
  if (count === 0) throw new IdxFormatError(`${fileName}: at least one label expected, found 0.`);
  const labels = bytes.slice(8);
  for (let i = 0; i < labels.length; i += 1) {
    if (labels[i] >= classes) {
      throw new IdxFormatError(
        `${fileName}: labels 0..${classes - 1} expected, found ${labels[i]} at index ${i}; is this a ${classes}-class dataset?`,
      );
    }
  }
  return labels;
}

export interface IdxLabelledImages extends IdxImages {
  labels: Uint8Array;
}

/** Parses an images file and its labels file and checks that they describe the same examples. */
export function parseIdxPair(
  imageBytes: Uint8Array,
  labelBytes: Uint8Array,
  names: { images: string; labels: string } = { images: 'images', labels: 'labels' },
  classes = 10,
): IdxLabelledImages {
  const images = parseIdxImages(imageBytes, names.images);
  const labels = parseIdxLabels(labelBytes, names.labels, classes);
  if (labels.length !== images.count) {
    throw new IdxFormatError(
      `${names.images} holds ${images.count} images but ${names.labels} holds ${labels.length} labels; ` +
        'the two files must come from the same set (train with train, t10k with t10k).',
    );
  }
  return { ...images, labels };
}

/**
 * Encodes images as IDX bytes. Pixels are either bytes (0..255) or floats in [0, 1], which are
 * rounded to the nearest of 256 levels. Used by tests and by exports; inverse of parseIdxImages.
 */
export function encodeIdxImages(
  pixels: Uint8Array | Float32Array,
  count: number,
  rows: number,
  cols: number,
): Uint8Array {
  if (pixels.length !== count * rows * cols) {
    throw new IdxFormatError(
      `encodeIdxImages: ${count}×${rows}×${cols} = ${count * rows * cols} pixels expected, found ${pixels.length}.`,
    );
  }
  const bytes = new Uint8Array(16 + pixels.length);
  writeUint32BigEndian(bytes, 0, IDX_IMAGES_MAGIC);
  writeUint32BigEndian(bytes, 4, count);
  writeUint32BigEndian(bytes, 8, rows);
  writeUint32BigEndian(bytes, 12, cols);
  if (pixels instanceof Uint8Array) {
    bytes.set(pixels, 16);
  } else {
    for (let i = 0; i < pixels.length; i += 1) {
      bytes[16 + i] = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
    }
  }
  return bytes;
}

/** Encodes labels as IDX bytes; inverse of parseIdxLabels. */
export function encodeIdxLabels(labels: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(8 + labels.length);
  writeUint32BigEndian(bytes, 0, IDX_LABELS_MAGIC);
  writeUint32BigEndian(bytes, 4, labels.length);
  bytes.set(labels, 8);
  return bytes;
}

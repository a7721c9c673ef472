import { describe, expect, it } from 'vitest';
import {
  encodeIdxImages,
  encodeIdxLabels,
  parseIdxImages,
  parseIdxLabels,
  parseIdxPair,
  readIdxImagesHeader,
} from '../../../core/data/idx';
import { idxDataset, MNIST_CLASS_NAMES } from '../../../core/data/dataset';

/** Two 2×3 images with bytes 0…11. */
const pixelBytes = Uint8Array.from({ length: 12 }, (_, i) => i * 20);

describe('IDX parsing', () => {
  it('round-trips images and labels, scaling pixels to [0, 1]', () => {
    const images = parseIdxImages(encodeIdxImages(pixelBytes, 2, 2, 3));
    expect(images).toMatchObject({ count: 2, rows: 2, cols: 3 });
    expect(images.pixels[0]).toBe(0);
    expect(images.pixels[11]).toBeCloseTo(220 / 255, 6);
    expect(Array.from(encodeIdxImages(images.pixels, 2, 2, 3).subarray(16))).toEqual(Array.from(pixelBytes));
    expect(Array.from(parseIdxLabels(encodeIdxLabels(Uint8Array.of(3, 9))))).toEqual([3, 9]);
  });

  it('writes the big-endian header of the format', () => {
    const bytes = encodeIdxImages(new Uint8Array(2 * 28 * 28), 2, 28, 28);
    expect(Array.from(bytes.subarray(0, 16))).toEqual([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]);
  });

  it('names a wrong magic number in hex', () => {
    const text = new TextEncoder().encode('test file, not IDX');
    expect(() => parseIdxImages(text, 'train-images-idx3-ubyte')).toThrow(
      'train-images-idx3-ubyte: magic number 0x00000803 expected, found 0x74657374; is this an IDX images file?',
    );
    expect(() => parseIdxImages(encodeIdxLabels(Uint8Array.of(1)), 'x')).toThrow(
      /0x00000803 expected, found 0x00000801/,
    );
  });

  it('recognises a file that is still gzip-compressed', () => {
    expect(() => parseIdxLabels(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0), 'train-labels-idx1-ubyte.gz')).toThrow(
      /looks gzip-compressed; decompress it first/,
    );
  });

  it('reports a truncated file with expected and found byte counts', () => {
    const whole = encodeIdxImages(pixelBytes, 2, 2, 3);
    expect(() => parseIdxImages(whole.subarray(0, 20), 'imgs')).toThrow(
      'imgs: 28 bytes expected (16-byte header + 12 values for images 2, rows 2, columns 3), found 20; the file is truncated, download or copy it again.',
    );
    expect(() => parseIdxImages(whole.subarray(0, 10), 'imgs')).toThrow(
      'imgs: a 16-byte header expected, found only 10 bytes; the file is truncated.',
    );
    const longer = new Uint8Array(whole.length + 1);
    longer.set(whole);
    expect(() => parseIdxImages(longer, 'imgs')).toThrow(/found 29; the file has trailing bytes/);
  });

  it('rejects labels outside 0..9', () => {
    expect(() => parseIdxLabels(encodeIdxLabels(Uint8Array.of(1, 10)), 'labels')).toThrow(
      'labels: labels 0..9 expected, found 10 at index 1; is this a 10-class dataset?',
    );
  });

  it('checks that images and labels agree in number', () => {
    expect(() =>
      parseIdxPair(encodeIdxImages(pixelBytes, 2, 2, 3), encodeIdxLabels(Uint8Array.of(1, 2, 3)), {
        images: 'a-images',
        labels: 'a-labels',
      }),
    ).toThrow(
      'a-images holds 2 images but a-labels holds 3 labels; the two files must come from the same set (train with train, t10k with t10k).',
    );
  });

  it('reads the image size from the first 16 bytes of an images file, the rest not needed', () => {
    const bytes = encodeIdxImages(new Uint8Array(3 * 32 * 20), 3, 32, 20);
    expect(readIdxImagesHeader(bytes.subarray(0, 16), 'x')).toEqual({ count: 3, rows: 32, cols: 20 });
    expect(() => readIdxImagesHeader(bytes.subarray(0, 12), 'x')).toThrow(
      'x: a 16-byte header expected, found only 12 bytes; is this an IDX images file?',
    );
    expect(() => readIdxImagesHeader(encodeIdxLabels(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)), 'y')).toThrow(
      'y: magic number 0x00000803 expected, found 0x00000801; is this an IDX images file?',
    );
  });

  it('builds a dataset only from 28×28 images', () => {
    const files = (rows: number, cols: number) => ({
      images: encodeIdxImages(new Uint8Array(rows * cols), 1, rows, cols),
      labels: encodeIdxLabels(Uint8Array.of(4)),
      imagesName: 'train-images-idx3-ubyte',
      labelsName: 'train-labels-idx1-ubyte',
    });
    const dataset = idxDataset('tiny', MNIST_CLASS_NAMES, files(28, 28), files(28, 28));
    expect(dataset.train.count).toBe(1);
    expect(dataset.heldout.labels[0]).toBe(4);
    expect(() => idxDataset('tiny', MNIST_CLASS_NAMES, files(32, 32), files(28, 28))).toThrow(
      'train-images-idx3-ubyte: 28×28 images expected, found 32×32; only MNIST-sized datasets are supported.',
    );
  });
});

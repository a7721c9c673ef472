/**
 * Noise images for out-of-distribution checks, deterministic given a seed.
 *
 * - Gaussian: every pixel ~ N(0, 1) independently — the `randn` images of the reference text,
 *   which lie mostly outside the [0, 1] range of real digits.
 * - Clipped Gaussian: the same pixels clipped to [0, 1] (about half the pixels become 0), so that
 *   the range no longer gives them away.
 * - Uniform: every pixel ~ U[0, 1).
 */
import { SeedStream, standardNormal } from '../random/seedStream';
import { PIXELS_PER_IMAGE } from './dataset';

export type NoiseKind = 'gaussian' | 'clippedGaussian' | 'uniform';

/** A bad request for noise images. */
export class NoiseImageError extends Error {
  override name = 'NoiseImageError';
}

function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 0) {
    throw new NoiseImageError(`The number of noise images must be a non-negative integer, found ${count}.`);
  }
}

/** `count` images of 28×28 pixels, each pixel ~ N(0, 1) (`randn`); clipped to [0, 1] if asked. */
export function gaussianNoiseImages(count: number, seed: number, clipToUnitRange = false): Float32Array {
  checkCount(count);
  const stream = new SeedStream(seed, 0x6a05);
  const pixels = new Float32Array(count * PIXELS_PER_IMAGE);
  for (let i = 0; i < pixels.length; i += 1) {
    const value = standardNormal(stream);
    pixels[i] = clipToUnitRange ? Math.min(1, Math.max(0, value)) : value;
  }
  return pixels;
}

/** `count` images of 28×28 pixels, each pixel ~ U[0, 1). */
export function uniformNoiseImages(count: number, seed: number): Float32Array {
  checkCount(count);
  const stream = new SeedStream(seed, 0x0a1f);
  const pixels = new Float32Array(count * PIXELS_PER_IMAGE);
  for (let i = 0; i < pixels.length; i += 1) pixels[i] = stream.uniform();
  return pixels;
}

export function noiseImages(kind: NoiseKind, count: number, seed: number): Float32Array {
  switch (kind) {
    case 'gaussian':
      return gaussianNoiseImages(count, seed);
    case 'clippedGaussian':
      return gaussianNoiseImages(count, seed, true);
    case 'uniform':
      return uniformNoiseImages(count, seed);
  }
}

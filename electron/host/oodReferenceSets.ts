/**
 * The out-of-distribution sets every run is evaluated on — the same images for every run, so
 * evaluations can be compared: Fashion-MNIST test images (Debian's dataset-fashion-mnist), the
 * reference text's `randn` noise and two tamer noises (core/data/noise.ts, fixed seeds), and
 * letters drawn from fonts (@napi-rs/canvas, the figures' headless canvas) and put into MNIST form
 * by the same preprocessing as a dropped image.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { PIXELS_PER_IMAGE } from '../../core/data/dataset';
import { parseIdxImages } from '../../core/data/idx';
import { noiseImages, type NoiseKind } from '../../core/data/noise';
import { preprocessImage } from '../../core/ood/preprocess';
import { fashionMnistDir } from '../worker/datasetFiles';

export interface ReferenceSet {
  name: string;
  description: string;
  count: number;
  /** `count` 28×28 images, values as the network takes them. */
  images: Float32Array;
}

export const FASHION_IMAGES = 1000;
export const NOISE_IMAGES_PER_KIND = 300;
const NOISE_SEED = 20190312;
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Preferred families (found on most Linux systems); the generic ones stand in elsewhere. */
const letterFonts = [
  { family: 'DejaVu Sans', fallback: 'sans-serif', weight: 'normal' },
  { family: 'DejaVu Serif', fallback: 'serif', weight: 'normal' },
  { family: 'Liberation Mono', fallback: 'monospace', weight: 'normal' },
  { family: 'Liberation Sans', fallback: 'sans-serif', weight: 'bold' },
];

const noiseSets: { kind: NoiseKind; name: string; description: string }[] = [
  {
    kind: 'gaussian',
    name: 'Noise: randn',
    description: `${NOISE_IMAGES_PER_KIND} images of N(0, 1) pixels, the reference text's noise (seed ${NOISE_SEED}).`,
  },
  {
    kind: 'clippedGaussian',
    name: 'Noise: randn clipped',
    description: `${NOISE_IMAGES_PER_KIND} images of N(0, 1) pixels clipped to [0, 1].`,
  },
  { kind: 'uniform', name: 'Noise: uniform', description: `${NOISE_IMAGES_PER_KIND} images of U[0, 1) pixels.` },
];

let cached: Promise<{ sets: ReferenceSet[]; skipped: string[] }> | null = null;

/** The reference sets, built once per process. A set that cannot be built is skipped with its reason. */
export function oodReferenceSets(): Promise<{ sets: ReferenceSet[]; skipped: string[] }> {
  cached ??= buildReferenceSets().catch((error: unknown) => {
    cached = null;
    throw error;
  });
  return cached;
}

async function buildReferenceSets(): Promise<{ sets: ReferenceSet[]; skipped: string[] }> {
  const sets: ReferenceSet[] = [];
  const skipped: string[] = [];
  try {
    sets.push(await fashionMnistTestImages(FASHION_IMAGES));
  } catch (error) {
    skipped.push(`Fashion-MNIST: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const noise of noiseSets) {
    sets.push({
      name: noise.name,
      description: noise.description,
      count: NOISE_IMAGES_PER_KIND,
      images: noiseImages(noise.kind, NOISE_IMAGES_PER_KIND, NOISE_SEED),
    });
  }
  sets.push(fontLetters());
  return { sets, skipped };
}

/** The first `count` Fashion-MNIST test images. */
export async function fashionMnistTestImages(count: number, folder = fashionMnistDir): Promise<ReferenceSet> {
  const candidates = ['t10k-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte'];
  for (const candidate of candidates) {
    let raw: Buffer;
    try {
      raw = await fs.readFile(path.join(folder, candidate));
    } catch {
      continue;
    }
    const bytes = candidate.endsWith('.gz') ? gunzipSync(raw) : raw;
    const parsed = parseIdxImages(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), candidate);
    const taken = Math.min(count, parsed.count);
    return {
      name: 'Fashion-MNIST',
      description: `The first ${taken} Fashion-MNIST test images (${path.join(folder, candidate)}).`,
      count: taken,
      images: parsed.pixels.slice(0, taken * PIXELS_PER_IMAGE),
    };
  }
  throw new Error(`no t10k-images-idx3-ubyte(.gz) in ${folder}; install the Debian package dataset-fashion-mnist`);
}

/** Draws one letter black on white in a `size`-pixel square; RGBA bytes. */
export function drawLetter(letter: string, fontIndex: number, size = 64): Uint8ClampedArray {
  const families = new Set(GlobalFonts.families.map((font) => font.family));
  const font = letterFonts[fontIndex % letterFonts.length];
  const family = families.has(font.family) ? `"${font.family}"` : font.fallback;
  const canvas = createCanvas(size, size);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, size, size);
  ctx.fillStyle = '#000000';
  ctx.font = `${font.weight} ${Math.round(size * 0.69)}px ${family}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(letter, size / 2, size / 2 + 2);
  return ctx.getImageData(0, 0, size, size).data;
}

/** The name of the font `fontIndex` is drawn in here (the preferred family, or its generic stand-in). */
export function letterFontName(fontIndex: number): string {
  const families = new Set(GlobalFonts.families.map((font) => font.family));
  const font = letterFonts[fontIndex % letterFonts.length];
  return `${families.has(font.family) ? font.family : font.fallback}${font.weight === 'bold' ? ' bold' : ''}`;
}

export const LETTER_FONT_COUNT = letterFonts.length;

/** Each letter in each font, black on white at 64 px, preprocessed like a dropped image. */
export function fontLetters(): ReferenceSet {
  const size = 64;
  const images: Float32Array[] = [];
  for (let fontIndex = 0; fontIndex < letterFonts.length; fontIndex += 1) {
    for (const letter of LETTERS) {
      const preprocessed = preprocessImage({ width: size, height: size, data: drawLetter(letter, fontIndex, size) });
      if (!preprocessed.blank) images.push(preprocessed.pixels);
    }
  }
  const joined = new Float32Array(images.length * PIXELS_PER_IMAGE);
  images.forEach((image, i) => joined.set(image, i * PIXELS_PER_IMAGE));
  const fonts = letterFonts.map((_, i) => letterFontName(i));
  return {
    name: 'Letters',
    description: `${images.length} letters A–Z and a–z drawn in ${fonts.join(', ')}, preprocessed like a dropped image.`,
    count: images.length,
    images: joined,
  };
}

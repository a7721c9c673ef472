/**
 * The "Unfamiliar images" panel's gallery: a few images of each kind to try without a file at hand —
 * held-out digits of the bundled MNIST split, Fashion-MNIST test items, the reference text's noise
 * (randn, shown clipped to [0, 1]) and uniform noise, and letters drawn from fonts. They are sent
 * back through classifyImages like dropped images, so they go through the same preprocessing.
 */
import type { DecodedImageInput, OodGallerySet } from '../../core/contract/ood';
import { PIXELS_PER_IMAGE } from '../../core/data/dataset';
import { noiseImages } from '../../core/data/noise';
import { toGrey } from '../../core/ood/preprocess';
import { workerEnvironment } from '../worker/datasetFiles';
import { drawLetter, fashionMnistTestImages, LETTER_FONT_COUNT, letterFontName } from './oodReferenceSets';

const PER_SET = 8;
const FASHION_NAMES = [
  'T-shirt',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle boot',
];

function greyImage(name: string, pixels: ArrayLike<number>, width = 28, height = 28): DecodedImageInput {
  return {
    name,
    width,
    height,
    pixels: Array.from(pixels, (value) => Math.round(Math.min(1, Math.max(0, value)) * 255)),
  };
}

function splitImages(images: Float32Array, count: number, name: (index: number) => string): DecodedImageInput[] {
  return Array.from({ length: count }, (_, i) =>
    greyImage(name(i), images.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE)),
  );
}

let cached: Promise<OodGallerySet[]> | null = null;

export function oodGallery(): Promise<OodGallerySet[]> {
  cached ??= buildGallery().catch((error: unknown) => {
    cached = null;
    throw error;
  });
  return cached;
}

async function buildGallery(): Promise<OodGallerySet[]> {
  const sets: OodGallerySet[] = [];
  const mnist = await workerEnvironment.loadDataset('mnist');
  sets.push({
    name: 'Held-out digits',
    description: 'The first held-out digits of the bundled MNIST split.',
    images: splitImages(mnist.heldout.images, PER_SET, (i) => `digit ${mnist.heldout.labels[i]} (held-out #${i})`),
  });
  try {
    const fashion = await fashionMnistTestImages(PER_SET);
    const labelsGuess = (i: number) => `Fashion-MNIST test #${i}`;
    sets.push({
      name: 'Fashion-MNIST',
      description: `Fashion-MNIST test items (${FASHION_NAMES.join(', ')}).`,
      images: splitImages(fashion.images, fashion.count, labelsGuess),
    });
  } catch {
    // Not installed here: the gallery simply has no Fashion-MNIST row.
  }
  sets.push({
    name: 'Noise',
    description: "The reference text's randn noise (shown clipped to [0, 1]) and uniform noise.",
    images: [
      ...splitImages(noiseImages('gaussian', PER_SET / 2, 1), PER_SET / 2, (i) => `randn noise #${i}`),
      ...splitImages(noiseImages('uniform', PER_SET / 2, 2), PER_SET / 2, (i) => `uniform noise #${i}`),
    ],
  });
  const letters = 'AKQxgWbR';
  sets.push({
    name: 'Letters',
    description: 'Letters drawn from fonts, black on white, before preprocessing.',
    images: Array.from(letters, (letter, i) => {
      const grey = toGrey({ width: 64, height: 64, data: drawLetter(letter, i % LETTER_FONT_COUNT) });
      return greyImage(`letter ${letter} (${letterFontName(i % LETTER_FONT_COUNT)})`, grey, 64, 64);
    }),
  });
  return sets;
}

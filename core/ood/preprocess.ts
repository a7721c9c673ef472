/**
 * MNIST-style preprocessing of an arbitrary image, so a dropped file reaches the network in the
 * form its training digits had (LeCun et al., "Gradient-based learning applied to document
 * recognition", 1998, and the MNIST page: "normalized to fit in a 20x20 pixel box while preserving
 * their aspect ratio … centered in a 28x28 image by computing the center of mass of the pixels"):
 *
 *   1. grey level by luma, g = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601); transparent pixels are
 *      laid over a background that contrasts with the opaque ones, so ink drawn on transparency
 *      stays ink;
 *   2. ink is light on dark: a light background (the mean of the border pixels above mid-grey)
 *      is inverted;
 *   3. contrast stretch: the background level (border mean) becomes 0 and the brightest pixel 1,
 *      so a grey photo of paper does not read as faint ink everywhere;
 *   4. crop to the bounding box of the pixels above the ink threshold;
 *   5. fit into 20×20 keeping the aspect ratio (area averaging when shrinking, bilinear when
 *      enlarging);
 *   6. paste into 28×28 so that the centre of mass sits at the centre (13.5, 13.5), shifted by
 *      whole pixels and kept inside the frame.
 *
 * Pure: it gets decoded pixels (the renderer's canvas, the host's image library), no files.
 */
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../data/dataset';

/** An image that cannot be preprocessed; the message quotes the offending value. */
export class ImagePreprocessError extends Error {
  override name = 'ImagePreprocessError';
}

/** Decoded pixels: `width × height` grey bytes (1 channel) or RGBA bytes (4 channels), row-major. */
export interface DecodedImage {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

export interface PreprocessOptions {
  /** Pixels above this (after inversion and stretch, in [0, 1]) are ink for the bounding box. Default 0.2. */
  inkThreshold?: number;
  /** Side of the box the ink is fitted into. Default 20 (MNIST). */
  boxSize?: number;
  /** Smallest background-to-ink contrast (in [0, 1]) below which the image counts as blank. Default 0.08. */
  minimumContrast?: number;
}

export interface PreprocessedImage {
  /** 28 × 28 values in [0, 1], row-major; all zero when `blank`. */
  pixels: Float32Array;
  /** Whether a light background was inverted. */
  inverted: boolean;
  /** No ink was found (a uniform or nearly uniform image): there is nothing to classify. */
  blank: boolean;
  /** The ink's bounding box in the source image (null when blank). */
  inkBox: { left: number; top: number; width: number; height: number } | null;
}

export const DEFAULT_INK_THRESHOLD = 0.2;
export const MNIST_BOX_SIZE = 20;
const DEFAULT_MINIMUM_CONTRAST = 0.08;
/** The centre of a 28-pixel row in pixel-index coordinates (pixel i covers [i, i + 1)). */
const FRAME_CENTRE = (IMAGE_SIZE - 1) / 2;

/** Grey levels in [0, 1] (1 = white) of an RGBA or single-channel image. */
export function toGrey(image: DecodedImage): Float32Array {
  const { width, height, data } = image;
  checkDimensions(image);
  const count = width * height;
  const grey = new Float32Array(count);
  if (data.length === count) {
    for (let i = 0; i < count; i += 1) grey[i] = data[i] / 255;
    return grey;
  }
  // Lay transparency over white if the opaque pixels are mostly dark (dark ink), over black otherwise.
  let opaqueLuma = 0;
  let opaqueWeight = 0;
  for (let i = 0; i < count; i += 1) {
    const alpha = data[i * 4 + 3] / 255;
    opaqueLuma += alpha * luma(data, i * 4);
    opaqueWeight += alpha;
  }
  const background = opaqueWeight > 0 && opaqueLuma / opaqueWeight < 127.5 ? 1 : 0;
  for (let i = 0; i < count; i += 1) {
    const alpha = data[i * 4 + 3] / 255;
    grey[i] = (alpha * luma(data, i * 4)) / 255 + (1 - alpha) * background;
  }
  return grey;
}

function luma(data: ArrayLike<number>, offset: number): number {
  return 0.299 * data[offset] + 0.587 * data[offset + 1] + 0.114 * data[offset + 2];
}

function checkDimensions(image: DecodedImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImagePreprocessError(
      `An image must be at least 1×1 pixels with whole-number sides; found ${width}×${height}.`,
    );
  }
  if (data.length !== width * height && data.length !== width * height * 4) {
    throw new ImagePreprocessError(
      `A ${width}×${height} image needs ${width * height} grey values or ${width * height * 4} RGBA values; found ${data.length}.`,
    );
  }
}

/** Mean of the border pixels (a frame 1/20 of the shorter side thick, at least 1 pixel). */
export function borderMean(grey: Float32Array, width: number, height: number): number {
  const thickness = Math.max(1, Math.floor(Math.min(width, height) / 20));
  let sum = 0;
  let count = 0;
  for (let y = 0; y < height; y += 1) {
    const edgeRow = y < thickness || y >= height - thickness;
    for (let x = 0; x < width; x += 1) {
      if (edgeRow || x < thickness || x >= width - thickness) {
        sum += grey[y * width + x];
        count += 1;
      }
    }
  }
  return sum / count;
}

/**
 * Resamples a `width × height` grey image to `targetWidth × targetHeight`: each target pixel is
 * the area-weighted mean of the source pixels it covers when shrinking, bilinear interpolation of
 * pixel centres when enlarging (area averaging would only replicate pixels then).
 */
export function resample(
  source: Float32Array,
  width: number,
  height: number,
  targetWidth: number,
  targetHeight: number,
): Float32Array {
  const target = new Float32Array(targetWidth * targetHeight);
  const scaleX = width / targetWidth;
  const scaleY = height / targetHeight;
  for (let ty = 0; ty < targetHeight; ty += 1) {
    for (let tx = 0; tx < targetWidth; tx += 1) {
      target[ty * targetWidth + tx] =
        scaleX >= 1 && scaleY >= 1
          ? areaMean(source, width, tx * scaleX, (tx + 1) * scaleX, ty * scaleY, (ty + 1) * scaleY)
          : bilinear(source, width, height, (tx + 0.5) * scaleX - 0.5, (ty + 0.5) * scaleY - 0.5);
    }
  }
  return target;
}

function areaMean(source: Float32Array, width: number, x0: number, x1: number, y0: number, y1: number): number {
  let sum = 0;
  for (let y = Math.floor(y0); y < Math.ceil(y1); y += 1) {
    const coverY = Math.min(y + 1, y1) - Math.max(y, y0);
    for (let x = Math.floor(x0); x < Math.ceil(x1); x += 1) {
      const coverX = Math.min(x + 1, x1) - Math.max(x, x0);
      sum += coverX * coverY * source[y * width + x];
    }
  }
  return sum / ((x1 - x0) * (y1 - y0));
}

function bilinear(source: Float32Array, width: number, height: number, x: number, y: number): number {
  const cx = Math.min(width - 1, Math.max(0, x));
  const cy = Math.min(height - 1, Math.max(0, y));
  const xLow = Math.floor(cx);
  const yLow = Math.floor(cy);
  const xHigh = Math.min(width - 1, xLow + 1);
  const yHigh = Math.min(height - 1, yLow + 1);
  const fx = cx - xLow;
  const fy = cy - yLow;
  const top = source[yLow * width + xLow] * (1 - fx) + source[yLow * width + xHigh] * fx;
  const bottom = source[yHigh * width + xLow] * (1 - fx) + source[yHigh * width + xHigh] * fx;
  return top * (1 - fy) + bottom * fy;
}

/** Centre of mass (x, y) in pixel-index coordinates; the geometric centre if the image is empty. */
export function centreOfMass(pixels: ArrayLike<number>, width: number, height: number): { x: number; y: number } {
  let mass = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const value = pixels[y * width + x];
      mass += value;
      sumX += value * x;
      sumY += value * y;
    }
  }
  return mass > 0 ? { x: sumX / mass, y: sumY / mass } : { x: (width - 1) / 2, y: (height - 1) / 2 };
}

/** The whole pipeline of the module comment. A blank image gives `blank: true` and zeros. */
export function preprocessImage(image: DecodedImage, options: PreprocessOptions = {}): PreprocessedImage {
  const inkThreshold = options.inkThreshold ?? DEFAULT_INK_THRESHOLD;
  const boxSize = options.boxSize ?? MNIST_BOX_SIZE;
  const minimumContrast = options.minimumContrast ?? DEFAULT_MINIMUM_CONTRAST;
  if (!(inkThreshold >= 0 && inkThreshold < 1))
    throw new ImagePreprocessError(`The ink threshold must be in [0, 1), found ${inkThreshold}.`);
  if (!Number.isInteger(boxSize) || boxSize < 1 || boxSize > IMAGE_SIZE) {
    throw new ImagePreprocessError(
      `The ink box must be a whole number of pixels from 1 to ${IMAGE_SIZE}, found ${boxSize}.`,
    );
  }
  const { width, height } = image;
  const grey = toGrey(image);
  const border = borderMean(grey, width, height);
  const inverted = border > 0.5;
  if (inverted) for (let i = 0; i < grey.length; i += 1) grey[i] = 1 - grey[i];
  const background = inverted ? 1 - border : border;
  let peak = 0;
  for (let i = 0; i < grey.length; i += 1) peak = Math.max(peak, grey[i]);
  const blank = (): PreprocessedImage => ({
    pixels: new Float32Array(PIXELS_PER_IMAGE),
    inverted,
    blank: true,
    inkBox: null,
  });
  if (peak - background < minimumContrast) return blank();
  for (let i = 0; i < grey.length; i += 1)
    grey[i] = Math.min(1, Math.max(0, (grey[i] - background) / (peak - background)));

  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      if (grey[y * width + x] > inkThreshold) {
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
  }
  if (right < 0) return blank();
  const inkWidth = right - left + 1;
  const inkHeight = bottom - top + 1;
  const cropped = new Float32Array(inkWidth * inkHeight);
  for (let y = 0; y < inkHeight; y += 1)
    cropped.set(grey.subarray((top + y) * width + left, (top + y) * width + left + inkWidth), y * inkWidth);

  const scale = boxSize / Math.max(inkWidth, inkHeight);
  const fittedWidth = Math.max(1, Math.min(boxSize, Math.round(inkWidth * scale)));
  const fittedHeight = Math.max(1, Math.min(boxSize, Math.round(inkHeight * scale)));
  const fitted = resample(cropped, inkWidth, inkHeight, fittedWidth, fittedHeight);

  const mass = centreOfMass(fitted, fittedWidth, fittedHeight);
  // Whole-pixel shifts keep the strokes sharp; clamping keeps every stroke inside the frame.
  const offsetX = Math.min(IMAGE_SIZE - fittedWidth, Math.max(0, Math.round(FRAME_CENTRE - mass.x)));
  const offsetY = Math.min(IMAGE_SIZE - fittedHeight, Math.max(0, Math.round(FRAME_CENTRE - mass.y)));
  const pixels = new Float32Array(PIXELS_PER_IMAGE);
  for (let y = 0; y < fittedHeight; y += 1) {
    for (let x = 0; x < fittedWidth; x += 1) {
      pixels[(offsetY + y) * IMAGE_SIZE + offsetX + x] = Math.min(1, Math.max(0, fitted[y * fittedWidth + x]));
    }
  }
  return { pixels, inverted, blank: false, inkBox: { left, top, width: inkWidth, height: inkHeight } };
}

/**
 * Decodes a dropped, picked or pasted file in the browser (createImageBitmap, drawn on an
 * OffscreenCanvas) into grey pixels for classifyImages. The file's size and the dimensions its
 * header declares are checked before anything is decoded (a 20,000 × 20,000 PNG of a few kB is
 * refused from its header), and the image is shrunk to at most `SEND_MAX_SIDE` pixels a side —
 * ample for MNIST's 20 × 20 box, and small enough for a WebSocket request.
 */
import type { DecodedImageInput } from '../../../core/contract/ood';
import { declaredImageSize } from '../../../core/ood/imageHeader';
import { toGrey } from '../../../core/ood/preprocess';

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

export const MAX_FILE_BYTES = 50 * 1024 * 1024;
export const MAX_DECLARED_PIXELS = 40_000_000;
export const SEND_MAX_SIDE = 160;

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Grey pixels of the file, shrunk to fit SEND_MAX_SIDE; throws ImageDecodeError with a sentence naming the file. */
export async function decodeImageFile(file: File): Promise<DecodedImageInput> {
  const name = file.name || 'pasted image';
  if (file.size === 0) throw new ImageDecodeError(`"${name}" is empty (0 bytes); it holds no image.`);
  if (file.size > MAX_FILE_BYTES) throw new ImageDecodeError(`"${name}" is ${megabytes(file.size)}; the largest image file accepted is ${megabytes(MAX_FILE_BYTES)}.`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const declared = declaredImageSize(bytes);
  if (declared && declared.width * declared.height > MAX_DECLARED_PIXELS) {
    throw new ImageDecodeError(
      `"${name}" declares ${declared.width}×${declared.height} pixels; the largest image accepted is ${MAX_DECLARED_PIXELS / 1e6} megapixels.`,
    );
  }
  if (declared && (declared.width === 0 || declared.height === 0)) throw new ImageDecodeError(`"${name}" declares no image size; the file is damaged.`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes], { type: file.type }));
  } catch {
    throw new ImageDecodeError(
      declared
        ? `"${name}" could not be decoded; the ${declared.format.toUpperCase()} file is damaged or truncated.`
        : `"${name}" is not an image the browser can read; use a PNG, JPEG, WebP, GIF or BMP file.`,
    );
  }
  try {
    if (bitmap.width * bitmap.height > MAX_DECLARED_PIXELS) {
      throw new ImageDecodeError(`"${name}" is ${bitmap.width}×${bitmap.height} pixels; the largest image accepted is ${MAX_DECLARED_PIXELS / 1e6} megapixels.`);
    }
    const scale = Math.min(1, SEND_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new ImageDecodeError(`"${name}" could not be drawn: the browser gave no 2D canvas.`);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, width, height);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    // Grey here (one value a pixel, not four): the request stays a quarter of the size.
    const grey = toGrey({ width, height, data: rgba });
    return { name, width, height, pixels: Array.from(grey, (value) => Math.round(value * 255)) };
  } finally {
    bitmap.close();
  }
}

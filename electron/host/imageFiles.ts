/**
 * Image files from outside, decoded with sharp (libvips, prebuilt in its @img/* packages) into
 * RGBA pixels for core/ood/preprocess.ts. One path for every shell: bytes the renderer sent, or a
 * file (Electron's dropped or picked paths, the CLI's arguments) read into bytes first — so the
 * same file gives the same pixels, and the same verdict, everywhere.
 *
 * Everything is checked before the costly step: the file is read only if it is a regular file
 * (never a FIFO or device) and at most `MAX_IMAGE_FILE_BYTES` of it, the declared
 * dimensions in its header before any pixel is decoded (a 20,000 × 20,000 PNG of a few kB — a
 * decompression bomb — is refused from its header), and the decoded image is shrunk on load to at
 * most `DECODE_MAX_SIDE` pixels a side, which is ample for a 20 × 20 box and keeps memory bounded.
 */
import path from 'node:path';
import sharp from 'sharp';
import { BoundedReadError, readRegularFileBounded } from './boundedFileRead';

export class ImageFileError extends Error {
  override name = 'ImageFileError';
}

/** Largest file accepted. */
export const MAX_IMAGE_FILE_BYTES = 50 * 1024 * 1024;
/** Largest declared image accepted (width × height). */
export const MAX_IMAGE_FILE_PIXELS = 40_000_000;
/** Decoded images are shrunk to fit this square: MNIST form needs 20 × 20 pixels of ink. */
export const DECODE_MAX_SIDE = 512;
/** Raster formats accepted; SVG and PDF are refused (they can reference other files, and they are not photos of ink). */
const acceptedFormats = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff', 'avif', 'heif']);

export interface DecodedImageFile {
  /** RGBA bytes, row-major. */
  data: Uint8Array;
  width: number;
  height: number;
  /** The size the file declares, before shrinking. */
  declaredWidth: number;
  declaredHeight: number;
  format: string;
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * Reads and decodes one image file; every problem is an ImageFileError naming the file. Only for
 * paths the user chose (the callers check): its messages say whether the file exists.
 */
export async function decodeImageFile(file: string): Promise<DecodedImageFile> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFileBounded(file, MAX_IMAGE_FILE_BYTES);
  } catch (error) {
    if (error instanceof BoundedReadError && error.reason === 'too-large') {
      // short is "it is 51.0 MB" (or "it holds more than …" for a file that grew): the same sentence as for bytes.
      throw new ImageFileError(
        `"${path.basename(file)}" ${error.short.replace(/^it /, '')}; the largest image file accepted is ${megabytes(MAX_IMAGE_FILE_BYTES)}.`,
      );
    }
    if (error instanceof BoundedReadError && error.reason === 'not-regular') {
      throw new ImageFileError(`"${file}" is ${error.short.replace(/^it is /, '')}, not an image file.`);
    }
    throw new ImageFileError(
      `"${file}" cannot be read (${error instanceof BoundedReadError ? error.short : error instanceof Error ? error.message : String(error)}).`,
    );
  }
  return decodeImageBytes(bytes, path.basename(file));
}

/** Decodes image bytes already in memory (same checks, except the file's). */
export async function decodeImageBytes(bytes: Uint8Array, name: string): Promise<DecodedImageFile> {
  if (bytes.byteLength === 0) throw new ImageFileError(`"${name}" is empty (0 bytes); it holds no image.`);
  if (bytes.byteLength > MAX_IMAGE_FILE_BYTES) {
    throw new ImageFileError(
      `"${name}" is ${megabytes(bytes.byteLength)}; the largest image file accepted is ${megabytes(MAX_IMAGE_FILE_BYTES)}.`,
    );
  }
  return decodeImageSource(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), name);
}

async function decodeImageSource(source: Buffer, name: string): Promise<DecodedImageFile> {
  // The header alone: format and declared size, no pixels decoded.
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(source, { limitInputPixels: false }).metadata();
  } catch (error) {
    const reason = describeSharpError(error);
    // libvips recognises no format at all ("unsupported image format"), or one whose header is broken.
    if (/unsupported image format/i.test(reason)) {
      throw new ImageFileError(
        `"${name}" is not an image this workbench can read (${reason}); use a PNG, JPEG, WebP, GIF or TIFF file.`,
      );
    }
    throw new ImageFileError(`"${name}" could not be decoded (${reason}); the file is damaged or truncated.`);
  }
  const format = metadata.format ?? 'unknown';
  if (!acceptedFormats.has(format)) {
    throw new ImageFileError(
      `"${name}" is a ${format.toUpperCase()} file; only raster images (PNG, JPEG, WebP, GIF, TIFF, AVIF) are accepted.`,
    );
  }
  const declaredWidth = metadata.width ?? 0;
  const declaredHeight = metadata.height ?? 0;
  if (declaredWidth < 1 || declaredHeight < 1)
    throw new ImageFileError(`"${name}" declares no image size; the file is damaged.`);
  if (declaredWidth * declaredHeight > MAX_IMAGE_FILE_PIXELS) {
    throw new ImageFileError(
      `"${name}" declares ${declaredWidth}×${declaredHeight} pixels (${((declaredWidth * declaredHeight) / 1e6).toFixed(0)} megapixels); ` +
        `the largest image accepted is ${MAX_IMAGE_FILE_PIXELS / 1e6} megapixels.`,
    );
  }
  try {
    const { data, info } = await sharp(source, {
      limitInputPixels: MAX_IMAGE_FILE_PIXELS,
      failOn: 'truncated',
      sequentialRead: true,
    })
      .rotate() // EXIF orientation, as a photo viewer shows it
      .resize({
        width: DECODE_MAX_SIDE,
        height: DECODE_MAX_SIDE,
        fit: 'inside',
        withoutEnlargement: true,
        kernel: 'cubic',
      })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4)
      throw new ImageFileError(`"${name}" decoded to ${info.channels} channels; 4 (RGBA) were expected.`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      declaredWidth,
      declaredHeight,
      format,
    };
  } catch (error) {
    if (error instanceof ImageFileError) throw error;
    throw new ImageFileError(
      `"${name}" could not be decoded (${describeSharpError(error)}); the file is damaged or truncated.`,
    );
  }
}

function describeSharpError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // libvips messages run over several lines; the first says what went wrong.
  return message.split('\n')[0].replace(/\.$/, '').slice(0, 200);
}

/**
 * Before a run on a user's IDX folder starts: the image size its images files declare, read from
 * their first bytes only (gunzipped as far as those go), checked against the size the experiment
 * takes (its descriptor's `task.input.imageSize`). Without it a run on 32×32 images would be
 * created, queued, and fail in the worker once the folder was loaded; here it is refused with the
 * reason and nothing is written. A file that cannot be read or is no IDX images file is left to
 * the worker, whose full load of the folder says what is wrong with it.
 *
 * Why refuse rather than train at another size: the network, the OOD reference sets, the MNIST
 * form dropped images are reduced to and the shift protocol (Ovadia et al. crop rotated digits back
 * to 28×28) are all defined at one size; a user with 32×32 images crops or pads them once.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { IDX_FILE_NAMES, readIdxImagesHeader } from '../../core/data/idx';
import { descriptorOf } from '../../core/experiments/registry';
import { readRegularFileBounded } from './boundedFileRead';

/** Compressed bytes read: the 16-byte header is in the first deflate block, well inside this. */
const HEADER_READ_BYTES = 1024;

export class ImageSizeError extends Error {
  override name = 'ImageSizeError';
}

export interface IdxImageSize {
  /** The file's name in the folder, e.g. "train-images-idx3-ubyte.gz". */
  file: string;
  rows: number;
  cols: number;
}

/** The sizes the folder's train and t10k images files declare (those that can be read). */
export async function idxImageSizes(folder: string): Promise<IdxImageSize[]> {
  let entries: string[];
  try {
    entries = await fs.readdir(folder);
  } catch {
    return [];
  }
  const sizes: IdxImageSize[] = [];
  for (const stems of [IDX_FILE_NAMES.trainImages, IDX_FILE_NAMES.testImages]) {
    const found = entries.find((entry) => stems.some((stem) => entry === stem || entry === `${stem}.gz`));
    if (!found) continue;
    try {
      const start = await readRegularFileBounded(path.join(folder, found), HEADER_READ_BYTES, { prefix: true });
      // Z_SYNC_FLUSH: inflate what the truncated stream holds instead of failing at its end.
      const bytes = found.endsWith('.gz') ? gunzipSync(start, { finishFlush: zlibConstants.Z_SYNC_FLUSH }) : start;
      const { rows, cols } = readIdxImagesHeader(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), found);
      sizes.push({ file: found, rows, cols });
    } catch {
      // Unreadable or not IDX: the worker's load of the folder reports it with the whole picture.
    }
  }
  return sizes;
}

/**
 * Refuses (ImageSizeError) a configuration whose IDX folder holds images of another size than its
 * experiment takes; does nothing for bundled datasets and experiments without images.
 * `consequence` completes the message: "no run was started", "run "x" cannot be evaluated on it".
 */
export async function assertIdxImageSize(config: { experiment: string }, consequence: string): Promise<void> {
  const descriptor = descriptorOf(config);
  const task = descriptor.task;
  if (task.kind !== 'classification' || !task.idxFolder) return;
  const folder = task.idxFolder(config);
  if (folder === null) return;
  const size = task.input.imageSize;
  for (const found of await idxImageSizes(folder)) {
    if (found.rows === size && found.cols === size) continue;
    throw new ImageSizeError(
      `The dataset folder "${folder}" holds ${found.rows}×${found.cols} images (${found.file}), but ${descriptor.title} ` +
        `takes ${size}×${size} images, as MNIST; ${consequence}. Crop or pad the images to ${size}×${size} and ` +
        'write the IDX files again.',
    );
  }
}

/**
 * The shift sets of a run: its held-out images rotated, rolled and translated at the levels of
 * Ovadia et al. 2019 (rotation 15°…180° by 15°, translation 2…26 px by 2). Pure functions of the
 * images, so a run's shift sets are the same on every call and in every process.
 */
import { rollImage, rotateImage, ShiftError, translateImage } from './transforms';

export type ShiftKind = 'rotation' | 'roll' | 'translation';

export const SHIFT_KINDS: readonly ShiftKind[] = ['rotation', 'roll', 'translation'];

/** The unit of each kind's level, as the CLI contract names it. */
export const SHIFT_UNITS: Record<ShiftKind, 'degrees' | 'pixels'> = {
  rotation: 'degrees',
  roll: 'pixels',
  translation: 'pixels',
};

export const SHIFT_LABELS: Record<ShiftKind, string> = {
  rotation: 'Rotation',
  roll: 'Translation with wrap-around (np.roll)',
  translation: 'Translation, padded',
};

/** The paper's levels: 15°…180° and 2…26 px. Level 0 is the unshifted held-out set, scored once. */
export const SHIFT_LEVELS: Record<ShiftKind, readonly number[]> = {
  rotation: Array.from({ length: 12 }, (_, i) => 15 * (i + 1)),
  roll: Array.from({ length: 13 }, (_, i) => 2 * (i + 1)),
  translation: Array.from({ length: 13 }, (_, i) => 2 * (i + 1)),
};

export interface ShiftSpec {
  kind: ShiftKind;
  level: number;
}

/** `count` square images of `size`×`size`, every one shifted by `spec`. */
export function shiftImages(images: ArrayLike<number>, count: number, size: number, spec: ShiftSpec): Float32Array {
  const pixels = size * size;
  if (images.length < count * pixels) {
    throw new ShiftError(
      `${count} images of ${size}×${size} need ${count * pixels} values; ${images.length} were given.`,
    );
  }
  const out = new Float32Array(count * pixels);
  const source = Float32Array.from({ length: count * pixels }, (_, i) => images[i]);
  for (let n = 0; n < count; n += 1) {
    const image = source.subarray(n * pixels, (n + 1) * pixels);
    const shifted =
      spec.kind === 'rotation'
        ? rotateImage(image, size, spec.level)
        : spec.kind === 'roll'
          ? rollImage(image, size, spec.level)
          : translateImage(image, size, spec.level);
    out.set(shifted, n * pixels);
  }
  return out;
}

/** Every level of every kind, in increasing shift per kind (what an evaluation scores). */
export function shiftSpecs(kinds: readonly ShiftKind[] = SHIFT_KINDS): ShiftSpec[] {
  return kinds.flatMap((kind) => SHIFT_LEVELS[kind].map((level) => ({ kind, level })));
}

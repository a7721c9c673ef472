/**
 * The image shifts of Ovadia et al. 2019 ("Can you trust your model's uncertainty?", code in
 * google-research `uq_benchmark_2019`), on square single-channel images stored row-major.
 *
 * - Rotation as `scipy.ndimage.rotate(image, degrees, reshape=False, order=1)`: about the centre
 *   ((size − 1)/2, (size − 1)/2), bilinear, output the same size, background 0. scipy maps each
 *   output pixel o to the input point i = R (o − c) + c with R = [[cos, sin], [−sin, cos]] over
 *   (row, column); a positive angle turns the picture counter-clockwise, so 90° is `np.rot90`:
 *   out[r][c] = in[c][size − 1 − r]. Points outside the input are 0 and no interpolation happens
 *   beyond the edge (scipy's mode 'constant').
 * - Roll as `np.roll(images, pixels, axis=width)`: wrap-around along the width, what the paper's
 *   code does (a digit leaving on the right comes back on the left).
 * - Padded translation: the same move along the width, but what leaves is lost and 0 comes in —
 *   what a user would call "shifted"; reported separately because the paper's numbers are the roll.
 */

export class ShiftError extends Error {
  override name = 'ShiftError';
}

/** cos and sin of an angle in degrees, exact at multiples of 90° (as scipy's cosdg/sindg), so 90° is an exact permutation. */
function cosSinDegrees(degrees: number): [number, number] {
  const turned = ((degrees % 360) + 360) % 360;
  if (turned === 0) return [1, 0];
  if (turned === 90) return [0, 1];
  if (turned === 180) return [-1, 0];
  if (turned === 270) return [0, -1];
  const radians = (turned * Math.PI) / 180;
  return [Math.cos(radians), Math.sin(radians)];
}

function checkImage(image: ArrayLike<number>, size: number): void {
  if (!Number.isInteger(size) || size < 1 || image.length !== size * size) {
    throw new ShiftError(`An image of ${size}×${size} pixels needs ${size * size} values; ${image.length} were given.`);
  }
}

/** One image rotated by `degrees` about its centre (see the module comment). */
export function rotateImage(image: ArrayLike<number>, size: number, degrees: number): Float32Array {
  checkImage(image, size);
  const [cos, sin] = cosSinDegrees(degrees);
  const centre = (size - 1) / 2;
  const out = new Float32Array(size * size);
  // Rounding of the rotated coordinates must not push an edge pixel just outside the image.
  const tolerance = 1e-9;
  for (let row = 0; row < size; row += 1) {
    for (let column = 0; column < size; column += 1) {
      const dr = row - centre;
      const dc = column - centre;
      const inRow = cos * dr + sin * dc + centre;
      const inColumn = -sin * dr + cos * dc + centre;
      if (inRow < -tolerance || inRow > size - 1 + tolerance) continue;
      if (inColumn < -tolerance || inColumn > size - 1 + tolerance) continue;
      const r0 = Math.min(Math.max(Math.floor(inRow), 0), size - 1);
      const c0 = Math.min(Math.max(Math.floor(inColumn), 0), size - 1);
      const r1 = Math.min(r0 + 1, size - 1);
      const c1 = Math.min(c0 + 1, size - 1);
      const fr = Math.min(Math.max(inRow - r0, 0), 1);
      const fc = Math.min(Math.max(inColumn - c0, 0), 1);
      const top = image[r0 * size + c0] * (1 - fc) + image[r0 * size + c1] * fc;
      const bottom = image[r1 * size + c0] * (1 - fc) + image[r1 * size + c1] * fc;
      out[row * size + column] = top * (1 - fr) + bottom * fr;
    }
  }
  return out;
}

/** One image rolled `pixels` to the right along its width, wrapping around (np.roll on the width axis). */
export function rollImage(image: ArrayLike<number>, size: number, pixels: number): Float32Array {
  checkImage(image, size);
  const shift = ((Math.round(pixels) % size) + size) % size;
  const out = new Float32Array(size * size);
  for (let row = 0; row < size; row += 1) {
    for (let column = 0; column < size; column += 1) {
      out[row * size + ((column + shift) % size)] = image[row * size + column];
    }
  }
  return out;
}

/** One image moved `pixels` to the right along its width; what leaves the frame is lost, 0 comes in. */
export function translateImage(image: ArrayLike<number>, size: number, pixels: number): Float32Array {
  checkImage(image, size);
  const shift = Math.round(pixels);
  const out = new Float32Array(size * size);
  for (let row = 0; row < size; row += 1) {
    for (let column = 0; column < size; column += 1) {
      const target = column + shift;
      if (target >= 0 && target < size) out[row * size + target] = image[row * size + column];
    }
  }
  return out;
}

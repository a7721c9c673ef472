import { describe, expect, it } from 'vitest';
import { rollImage, rotateImage, translateImage, ShiftError } from '../../../core/shift/transforms';
import { SHIFT_LEVELS, shiftImages, shiftSpecs } from '../../../core/shift/shiftSets';

const SIZE = 28;

/** A deterministic, asymmetric 28×28 test image (no symmetry that would hide a wrong direction). */
function testImage(seed = 1): Float32Array {
  const image = new Float32Array(SIZE * SIZE);
  let state = seed;
  for (let i = 0; i < image.length; i += 1) {
    state = (state * 1103515245 + 12345) % 2147483648;
    image[i] = state / 2147483648;
  }
  return image;
}

function transpose(image: Float32Array): Float32Array {
  const out = new Float32Array(image.length);
  for (let r = 0; r < SIZE; r += 1) for (let c = 0; c < SIZE; c += 1) out[r * SIZE + c] = image[c * SIZE + r];
  return out;
}

/** Reverses the order of the rows (np.flipud). */
function flipRows(image: Float32Array): Float32Array {
  const out = new Float32Array(image.length);
  for (let r = 0; r < SIZE; r += 1) out.set(image.subarray((SIZE - 1 - r) * SIZE, (SIZE - r) * SIZE), r * SIZE);
  return out;
}

describe('rotation as scipy.ndimage.rotate(reshape=False, order=1)', () => {
  it('is the identity at 0° and 360°', () => {
    const image = testImage();
    expect(Array.from(rotateImage(image, SIZE, 0))).toEqual(Array.from(image));
    expect(Array.from(rotateImage(image, SIZE, 360))).toEqual(Array.from(image));
  });

  it('at 90° is np.rot90: the transpose with its rows reversed, out[r][c] = in[c][27 − r]', () => {
    const image = testImage(5);
    expect(Array.from(rotateImage(image, SIZE, 90))).toEqual(Array.from(flipRows(transpose(image))));
    // The other direction (transpose then reverse columns) is the clockwise turn, −90°.
    expect(Array.from(rotateImage(image, SIZE, -90))).toEqual(Array.from(transpose(flipRows(image))));
  });

  it('turns a pixel right of the centre to above it at +90° (counter-clockwise on screen)', () => {
    const image = new Float32Array(SIZE * SIZE);
    image[13 * SIZE + 27] = 1; // row 13, right edge
    const rotated = rotateImage(image, SIZE, 90);
    expect(rotated[0 * SIZE + 13]).toBe(1); // top edge, column 13
  });

  it('at 180° reverses rows and columns, and four 90° turns come back', () => {
    const image = testImage(9);
    const half = Array.from(image).reverse();
    expect(Array.from(rotateImage(image, SIZE, 180))).toEqual(half);
    let turned: Float32Array = image;
    for (let i = 0; i < 4; i += 1) turned = rotateImage(turned, SIZE, 90);
    expect(Array.from(turned)).toEqual(Array.from(image));
  });

  it('interpolates bilinearly and fills the corners with 0 at 45°', () => {
    const ones = new Float32Array(SIZE * SIZE).fill(1);
    const rotated = rotateImage(ones, SIZE, 45);
    expect(rotated[0]).toBe(0); // a corner comes from outside the image
    expect(rotated[14 * SIZE + 14]).toBeCloseTo(1, 6);
    const mass = rotated.reduce((a, b) => a + b, 0);
    expect(mass).toBeGreaterThan(500);
    expect(mass).toBeLessThan(SIZE * SIZE);
  });
});

describe('roll and padded translation along the width', () => {
  it('roll by 28 (and 0) is the identity; roll by 2 wraps the right columns to the left', () => {
    const image = testImage(3);
    expect(Array.from(rollImage(image, SIZE, 28))).toEqual(Array.from(image));
    expect(Array.from(rollImage(image, SIZE, 0))).toEqual(Array.from(image));
    const rolled = rollImage(image, SIZE, 2);
    expect(rolled[5 * SIZE + 0]).toBe(image[5 * SIZE + 26]);
    expect(rolled[5 * SIZE + 2]).toBe(image[5 * SIZE + 0]);
  });

  it('padded translation loses what leaves and brings in 0', () => {
    const image = testImage(4);
    const moved = translateImage(image, SIZE, 2);
    expect(moved[5 * SIZE + 0]).toBe(0);
    expect(moved[5 * SIZE + 1]).toBe(0);
    expect(moved[5 * SIZE + 2]).toBe(image[5 * SIZE + 0]);
    expect(Array.from(translateImage(image, SIZE, 28)).every((v) => v === 0)).toBe(true);
  });

  it('refuses an image whose size does not match', () => {
    expect(() => rotateImage(new Float32Array(10), SIZE, 15)).toThrow(ShiftError);
  });
});

describe('shift sets', () => {
  it('has the paper levels: 15°…180° by 15 and 2…26 px by 2', () => {
    expect(SHIFT_LEVELS.rotation).toEqual([15, 30, 45, 60, 75, 90, 105, 120, 135, 150, 165, 180]);
    expect(SHIFT_LEVELS.roll).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26]);
  });

  it('are identical on every call', () => {
    const images = new Float32Array(3 * SIZE * SIZE);
    for (let n = 0; n < 3; n += 1) images.set(testImage(n + 11), n * SIZE * SIZE);
    for (const spec of shiftSpecs()) {
      const first = shiftImages(images, 3, SIZE, spec);
      const second = shiftImages(images, 3, SIZE, spec);
      expect(Array.from(second)).toEqual(Array.from(first));
      expect(Array.from(first.subarray(SIZE * SIZE, 2 * SIZE * SIZE))).toEqual(
        Array.from(
          spec.kind === 'rotation'
            ? rotateImage(testImage(12), SIZE, spec.level)
            : spec.kind === 'roll'
              ? rollImage(testImage(12), SIZE, spec.level)
              : translateImage(testImage(12), SIZE, spec.level),
        ),
      );
    }
  });
});

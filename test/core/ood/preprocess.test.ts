import { describe, expect, it } from 'vitest';
import { centreOfMass, ImagePreprocessError, preprocessImage, resample, toGrey } from '../../../core/ood/preprocess';

/** A grey image (1 byte a pixel) of `width × height`, `background` everywhere except where `ink` says. */
function greyImage(width: number, height: number, background: number, ink: (x: number, y: number) => number | null) {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y += 1) for (let x = 0; x < width; x += 1) data[y * width + x] = ink(x, y) ?? background;
  return { width, height, data };
}

function inkBox(pixels: Float32Array, threshold = 0.5) {
  let left = 28,
    right = -1,
    top = 28,
    bottom = -1;
  for (let y = 0; y < 28; y += 1)
    for (let x = 0; x < 28; x += 1) {
      if (pixels[y * 28 + x] > threshold) {
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
  return { left, top, width: right - left + 1, height: bottom - top + 1 };
}

describe('MNIST-style preprocessing', () => {
  it('turns a centred white square on black into ones at rows and columns 4..23 and zeros elsewhere', () => {
    const image = greyImage(40, 40, 0, (x, y) => (x >= 15 && x < 25 && y >= 15 && y < 25 ? 255 : null));
    const result = preprocessImage(image);
    expect(result.blank).toBe(false);
    expect(result.inverted).toBe(false);
    expect(result.inkBox).toEqual({ left: 15, top: 15, width: 10, height: 10 });
    for (let y = 0; y < 28; y += 1) {
      for (let x = 0; x < 28; x += 1) {
        const inside = x >= 4 && x < 24 && y >= 4 && y < 24;
        expect(result.pixels[y * 28 + x], `pixel (${x}, ${y})`).toBeCloseTo(inside ? 1 : 0, 6);
      }
    }
  });

  it('moves an off-centre dot to the centre, and centres an uneven shape by its mass, not its box', () => {
    const dot = preprocessImage(greyImage(50, 30, 0, (x, y) => (x >= 3 && x < 6 && y >= 20 && y < 23 ? 255 : null)));
    const dotCentre = centreOfMass(dot.pixels, 28, 28);
    expect(dotCentre.x).toBeCloseTo(13.5, 6);
    expect(dotCentre.y).toBeCloseTo(13.5, 6);

    // A heavy 4×4 block with a thin 1-pixel tail to its right: the mass sits left of the box centre.
    const shape = preprocessImage(
      greyImage(60, 60, 0, (x, y) =>
        (x >= 10 && x < 14 && y >= 10 && y < 14) || (y === 12 && x >= 14 && x < 30) ? 255 : null,
      ),
    );
    const centre = centreOfMass(shape.pixels, 28, 28);
    expect(Math.abs(centre.x - 13.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(centre.y - 13.5)).toBeLessThanOrEqual(0.5);
    const box = inkBox(shape.pixels, 0.1);
    expect(box.width).toBe(20); // the longer side fills the 20-pixel box
    expect(box.left + box.width / 2).toBeGreaterThan(15); // so the box itself is off centre, to the right
  });

  it('inverts a black-on-white image (a light border) to white-on-black', () => {
    const whiteOnBlack = preprocessImage(
      greyImage(40, 40, 0, (x, y) => (x >= 15 && x < 25 && y >= 15 && y < 25 ? 255 : null)),
    );
    const blackOnWhite = preprocessImage(
      greyImage(40, 40, 255, (x, y) => (x >= 15 && x < 25 && y >= 15 && y < 25 ? 0 : null)),
    );
    expect(blackOnWhite.inverted).toBe(true);
    expect(Array.from(blackOnWhite.pixels)).toEqual(Array.from(whiteOnBlack.pixels));
  });

  it('treats a grey paper background as background (contrast stretch) and reads RGBA by luma', () => {
    // Dark blue ink (luma ≈ 40) on light grey paper (200), as RGBA.
    const width = 30,
      height = 30;
    const data = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i += 1) {
      const x = i % width,
        y = Math.floor(i / width);
      const ink = x >= 10 && x < 20 && y >= 5 && y < 25;
      data.set(ink ? [20, 30, 120, 255] : [200, 200, 200, 255], i * 4);
    }
    const result = preprocessImage({ width, height, data });
    expect(result.inverted).toBe(true);
    expect(Math.max(...result.pixels)).toBeCloseTo(1, 6);
    expect(result.pixels[0]).toBe(0); // the paper became exactly 0
    expect(inkBox(result.pixels)).toEqual({ left: 9, top: 4, width: 10, height: 20 }); // 10×20 → fits 10×20, centred
  });

  it('keeps the aspect ratio of a wide bar: 100×10 becomes 20×2 in the middle rows', () => {
    const result = preprocessImage(
      greyImage(140, 40, 0, (x, y) => (x >= 20 && x < 120 && y >= 15 && y < 25 ? 255 : null)),
    );
    expect(inkBox(result.pixels)).toEqual({ left: 4, top: 13, width: 20, height: 2 });
    expect(result.pixels.reduce((sum, v) => sum + v, 0)).toBeCloseTo(40, 4);
  });

  it('lays ink drawn on transparency over a contrasting background', () => {
    const width = 20,
      height = 20;
    const data = new Uint8Array(width * height * 4); // transparent black everywhere
    for (let y = 5; y < 15; y += 1) for (let x = 8; x < 12; x += 1) data.set([0, 0, 0, 255], (y * width + x) * 4); // opaque black ink
    const result = preprocessImage({ width, height, data });
    expect(result.blank).toBe(false);
    expect(result.inverted).toBe(true);
    expect(inkBox(result.pixels)).toEqual({ left: 10, top: 4, width: 8, height: 20 }); // 4×10 → 8×20, mass at 3.5 → columns 10..17
  });

  it('flags an all-blank image (and a nearly uniform one) with zeros instead of inventing ink', () => {
    for (const level of [0, 255, 128]) {
      const result = preprocessImage(greyImage(32, 32, level, () => null));
      expect(result.blank).toBe(true);
      expect(result.inkBox).toBeNull();
      expect(result.pixels.every((v) => v === 0)).toBe(true);
    }
    const faint = preprocessImage(greyImage(32, 32, 100, (x, y) => (x === 5 && y === 5 ? 110 : null)));
    expect(faint.blank).toBe(true);
  });

  it('rejects pixel arrays that do not match the size, quoting both', () => {
    expect(() => preprocessImage({ width: 10, height: 10, data: new Uint8Array(99) })).toThrow(ImagePreprocessError);
    expect(() => preprocessImage({ width: 10, height: 10, data: new Uint8Array(99) })).toThrow(
      'A 10×10 image needs 100 grey values or 400 RGBA values; found 99.',
    );
    expect(() => toGrey({ width: 0, height: 5, data: [] })).toThrow('found 0×5');
  });

  it('resamples by area when shrinking and bilinearly when enlarging', () => {
    expect(Array.from(resample(Float32Array.from([0, 1, 1, 0]), 4, 1, 2, 1))).toEqual([0.5, 0.5]);
    expect(Array.from(resample(Float32Array.from([0, 1]), 2, 1, 4, 1))).toEqual([0, 0.25, 0.75, 1]);
  });
});

describe('declared image size (read before decoding)', async () => {
  const { declaredImageSize } = await import('../../../core/ood/imageHeader');
  const sharp = (await import('sharp')).default;
  const { declaredHugePng } = await import('../../fixtures/oodImageFiles');
  it('reads PNG, JPEG, GIF and WebP headers and a bomb-sized PNG header without decoding', async () => {
    const base = sharp({ create: { width: 37, height: 21, channels: 3, background: '#808080' } });
    for (const format of ['png', 'jpeg', 'gif', 'webp'] as const) {
      const bytes = new Uint8Array(await base.clone().toFormat(format).toBuffer());
      expect(declaredImageSize(bytes), format).toEqual({ format, width: 37, height: 21 });
    }
    expect(declaredImageSize(new Uint8Array(declaredHugePng()))).toEqual({
      format: 'png',
      width: 20000,
      height: 20000,
    });
    expect(declaredImageSize(new TextEncoder().encode('not an image at all'))).toBeNull();
  });
});

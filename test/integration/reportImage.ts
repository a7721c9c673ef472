/**
 * What the report tests check in a PNG: decoded with @napi-rs/canvas, its pixel size, that it is
 * not blank, and — given the layout it was drawn from — that every panel is there: its title band
 * holds dark (text) pixels and its body holds drawn (non-background) pixels.
 */
import { createCanvas, loadImage } from '@napi-rs/canvas';
import type { Rect, ReportLayout } from '../../core/figures/reportLayout';

export interface DecodedImage {
  width: number;
  height: number;
  pixels: Uint8ClampedArray;
}

export async function decodePng(bytes: Uint8Array): Promise<DecodedImage> {
  const image = await loadImage(Buffer.from(bytes));
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, pixels: ctx.getImageData(0, 0, image.width, image.height).data };
}

export interface RegionStats {
  /** Pixels darker than mid-grey (text, axes, lines). */
  dark: number;
  /** Pixels that are not the white background. */
  drawn: number;
  total: number;
}

/** Counts over `rect` (CSS pixels of the layout) scaled by `density`. */
export function regionStats(image: DecodedImage, rect: Rect, density: number): RegionStats {
  const x0 = Math.max(0, Math.floor(rect.x * density));
  const y0 = Math.max(0, Math.floor(rect.y * density));
  const x1 = Math.min(image.width, Math.ceil((rect.x + rect.width) * density));
  const y1 = Math.min(image.height, Math.ceil((rect.y + rect.height) * density));
  const stats: RegionStats = { dark: 0, drawn: 0, total: 0 };
  for (let y = y0; y < y1; y += 1) {
    for (let x = x0; x < x1; x += 1) {
      const i = (y * image.width + x) * 4;
      const [r, g, b, a] = [image.pixels[i], image.pixels[i + 1], image.pixels[i + 2], image.pixels[i + 3]];
      stats.total += 1;
      if (a < 250 || r < 245 || g < 245 || b < 245) stats.drawn += 1;
      if (a > 200 && 0.299 * r + 0.587 * g + 0.114 * b < 110) stats.dark += 1;
    }
  }
  return stats;
}

/** Problems found (empty when the image matches the layout): wrong size, blank page, missing panels. */
export function checkReportImage(image: DecodedImage, layout: ReportLayout, density: number): string[] {
  const problems: string[] = [];
  if (image.width !== Math.round(layout.width * density) || image.height !== Math.round(layout.height * density)) {
    problems.push(
      `size ${image.width}×${image.height}, expected ${Math.round(layout.width * density)}×${Math.round(layout.height * density)}`,
    );
  }
  const whole = regionStats(image, { x: 0, y: 0, width: layout.width, height: layout.height }, density);
  // The corner is the page's white background (no transparent PNG).
  const corner = regionStats(image, { x: 0, y: 0, width: 8, height: 8 }, density);
  if (corner.drawn !== 0) problems.push('the page background is not white');
  if (whole.drawn < whole.total * 0.01) problems.push('the image is (nearly) blank');
  for (const panel of layout.panels) {
    if (panel.titleBand && regionStats(image, panel.titleBand, density).dark < 40)
      problems.push(`panel "${panel.spec.id}" has no title text`);
    const body = regionStats(image, panel.body, density);
    if (body.drawn < body.total * 0.01)
      problems.push(`panel "${panel.spec.id}" has an empty body (${body.drawn} of ${body.total} pixels drawn)`);
    if (body.dark < 100) problems.push(`panel "${panel.spec.id}" has no dark pixels (text, axes) in its body`);
  }
  return problems;
}

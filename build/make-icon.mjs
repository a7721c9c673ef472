/**
 * Draws build/icon.png (512×512), the app icon electron-builder turns into .icns, .ico and the
 * Linux icon set: the workbench's signature figure — a predictive mean with its uncertainty band,
 * narrow over the data points and widening away from them — on a rounded dark tile.
 * Run: node build/make-icon.mjs
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCanvas } from '@napi-rs/canvas';

const size = 512;
const canvas = createCanvas(size, size);
const context = canvas.getContext('2d');

// Tile: rounded square with a vertical gradient, inset so the corners are not cut by masks.
const inset = 24;
const radius = 96;
const tile = new Path2DLike(inset, inset, size - 2 * inset, size - 2 * inset, radius);
const background = context.createLinearGradient(0, inset, 0, size - inset);
background.addColorStop(0, '#1e2a4a');
background.addColorStop(1, '#0d1326');
context.fillStyle = background;
tile.fill(context);

// The curve lives in [-1.5, 1.5] × [-1.5, 1.5] mapped onto the tile's inner area.
const left = 72;
const right = size - 72;
const top = 96;
const bottom = size - 96;
const toX = (x) => left + ((x + 1.5) / 3) * (right - left);
const toY = (y) => top + ((1.5 - y) / 3) * (bottom - top);
const mean = (x) => Math.sin(2 * Math.PI * x * 0.45) * 0.75;
// Narrow inside the data ([-0.5, 0.5]), growing quadratically outside it.
const halfWidth = (x) => 0.1 + 0.75 * Math.max(0, Math.abs(x) - 0.45) ** 1.3;

const xs = Array.from({ length: 121 }, (_, i) => -1.5 + (3 * i) / 120);
const band = context.createLinearGradient(left, 0, right, 0);
band.addColorStop(0, 'rgba(120, 170, 255, 0.55)');
band.addColorStop(0.5, 'rgba(120, 170, 255, 0.35)');
band.addColorStop(1, 'rgba(120, 170, 255, 0.55)');
context.beginPath();
xs.forEach((x, i) =>
  i === 0 ? context.moveTo(toX(x), toY(mean(x) + halfWidth(x))) : context.lineTo(toX(x), toY(mean(x) + halfWidth(x))),
);
[...xs].reverse().forEach((x) => context.lineTo(toX(x), toY(mean(x) - halfWidth(x))));
context.closePath();
context.fillStyle = band;
context.fill();

context.beginPath();
xs.forEach((x, i) => (i === 0 ? context.moveTo(toX(x), toY(mean(x))) : context.lineTo(toX(x), toY(mean(x)))));
context.strokeStyle = '#ffffff';
context.lineWidth = 14;
context.lineCap = 'round';
context.lineJoin = 'round';
context.stroke();

// Data points inside [-0.5, 0.5], where the band is narrow.
const points = [-0.45, -0.3, -0.15, 0, 0.15, 0.3, 0.45];
const jitter = [0.06, -0.05, 0.04, -0.06, 0.05, -0.04, 0.03];
points.forEach((x, i) => {
  context.beginPath();
  context.arc(toX(x), toY(mean(x) + jitter[i]), 13, 0, 2 * Math.PI);
  context.fillStyle = '#ffb347';
  context.fill();
  context.lineWidth = 4;
  context.strokeStyle = '#0d1326';
  context.stroke();
});

writeFileSync(fileURLToPath(new URL('./icon.png', import.meta.url)), canvas.toBuffer('image/png'));

/** A rounded rectangle path (kept local: @napi-rs/canvas has roundRect, but this reads plainly). */
function Path2DLike(x, y, width, height, r) {
  return {
    fill(ctx) {
      ctx.beginPath();
      ctx.moveTo(x + r, y);
      ctx.arcTo(x + width, y, x + width, y + height, r);
      ctx.arcTo(x + width, y + height, x, y + height, r);
      ctx.arcTo(x, y + height, x, y, r);
      ctx.arcTo(x, y, x + width, y, r);
      ctx.closePath();
      ctx.fill();
    },
  };
}

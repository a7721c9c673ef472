/**
 * The SVG context's path batching (core/figures/svgPaths): consecutive paths of one paint become
 * one `<path>` only where that cannot change the picture, and a figure of thousands of shapes
 * (the predictions figure with 50 draws per image) is drawn the same with and without it —
 * both SVGs rasterized by Skia (@napi-rs/canvas) and compared pixel by pixel.
 */
import { Canvas, Image } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import type { PanelImage } from '../../../core/contract/runEvent';
import { FIGURE_SIZES, svgDimensions, type FigureSize } from '../../../core/figures/figureSizes';
import { predictionsFigure } from '../../../core/figures/predictionsFigure';
import { runDataFromEvents } from '../../../core/figures/runData';
import { SvgContext, type TextMeasurer } from '../../../core/figures/svgContext';
import { SVG_FONT_FAMILY } from '../../../core/figures/vectorExport';
import { drawFigureExport, type DrawingContext } from '../../../core/figures/drawFigure';
import { figureExportSize, sizedFigure } from '../../../core/figures/export';
import type { CanvasFigureSpec } from '../../../core/figures/types';
import { setUpHeadlessFigures } from '../../../electron/host/figureRenderer';
import { summariseSvg } from '../../fixtures/vectorChecks';
import { heldout, run } from './syntheticRun';

setUpHeadlessFigures();
const measurer = new Canvas(1, 1).getContext('2d') as unknown as TextMeasurer;

function context(mergePaths = true): SvgContext {
  return new SvgContext({ width: 100, height: 100, measurer, mergePaths });
}

const pathCount = (ctx: SvgContext) => summariseSvg(ctx.toSvg()).paths.length;

describe('consecutive paths of one paint', () => {
  it('translucent shapes that do not touch become one path; ones that overlap stay apart', () => {
    const apart = context();
    apart.fillStyle = 'rgba(37, 99, 235, 0.04)';
    apart.fillRect(0, 0, 10, 10);
    apart.fillRect(20, 0, 10, 10);
    apart.fillRect(40, 0, 10, 10);
    expect(pathCount(apart)).toBe(1);
    expect(apart.toSvg()).toContain('<path d="M0 0H10V10H0ZM20 0H30V10H20ZM40 0H50V10H40Z" fill="#2563eb"');
    const overlapping = context();
    overlapping.fillStyle = 'rgba(37, 99, 235, 0.04)';
    overlapping.fillRect(0, 0, 10, 10);
    overlapping.fillRect(5, 5, 10, 10);
    expect(pathCount(overlapping)).toBe(2);
    // Touching (a shared edge) counts as overlapping: antialiasing would paint the edge twice.
    const touching = context();
    touching.fillStyle = 'rgba(0, 0, 0, 0.5)';
    touching.fillRect(0, 0, 10, 10);
    touching.fillRect(10, 0, 10, 10);
    expect(pathCount(touching)).toBe(2);
  });

  it('opaque rectangles wound alike merge even where they overlap; wound oppositely they do not', () => {
    const alike = context();
    alike.fillStyle = '#fff';
    alike.fillRect(0, 0, 10.5, 10.5);
    alike.fillRect(10, 0, 10.5, 10.5);
    expect(pathCount(alike)).toBe(1);
    const opposite = context();
    opposite.fillStyle = '#fff';
    opposite.fillRect(0, 0, 10, 10);
    // A negative width winds the other way: one path would cancel the overlap under nonzero.
    opposite.fillRect(15, 5, -10, 10);
    expect(pathCount(opposite)).toBe(2);
    const evenOdd = context();
    evenOdd.fillStyle = '#000';
    for (const x of [0, 5]) {
      evenOdd.beginPath();
      evenOdd.rect(x, 0, 10, 10);
      evenOdd.fill('evenodd');
    }
    expect(pathCount(evenOdd)).toBe(2);
  });

  it('strokes: opaque ones merge, translucent ones closer than their width do not', () => {
    const line = (ctx: SvgContext, y: number) => {
      ctx.beginPath();
      ctx.moveTo(0, y);
      ctx.lineTo(50, y);
      ctx.stroke();
    };
    const opaque = context();
    opaque.lineWidth = 4;
    line(opaque, 10);
    line(opaque, 12);
    expect(pathCount(opaque)).toBe(1);
    const translucent = context();
    translucent.strokeStyle = 'rgba(0, 0, 0, 0.5)';
    translucent.lineWidth = 4;
    // The points are 3 px apart, the strokes 4 px wide: they overlap.
    line(translucent, 10);
    line(translucent, 13);
    line(translucent, 80);
    expect(pathCount(translucent)).toBe(2);
  });

  it('keeps the painting order: another paint, a text or a clip in between ends a path', () => {
    const ctx = context();
    ctx.fillStyle = '#f00';
    ctx.fillRect(0, 0, 5, 5);
    ctx.fillStyle = '#0f0';
    ctx.fillRect(10, 0, 5, 5);
    ctx.fillStyle = '#f00';
    ctx.fillRect(20, 0, 5, 5);
    ctx.fillText('x', 50, 50);
    ctx.fillRect(30, 0, 5, 5);
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, 0, 50, 50);
    ctx.clip();
    ctx.fillRect(40, 0, 5, 5);
    ctx.restore();
    const svg = ctx.toSvg();
    // Five painted paths (the two before the text are in different paints), and the clip's own path.
    expect(pathCount(ctx)).toBe(6);
    // The text sits between the third and the fourth rectangle, as drawn.
    expect(svg.indexOf('M20 0')).toBeLessThan(svg.indexOf('<text'));
    expect(svg.indexOf('<text')).toBeLessThan(svg.indexOf('M30 0'));
    expect(svg.indexOf('<g clip-path')).toBeLessThan(svg.indexOf('M40 0'));
  });

  it('a filled rectangle with no area paints nothing; stroked, it is a line', () => {
    const ctx = context();
    ctx.fillRect(0, 0, 10, 0.001);
    expect(pathCount(ctx)).toBe(0);
    ctx.strokeRect(0, 0, 10, 0);
    expect(pathCount(ctx)).toBe(1);
  });

  it('without merging, one path per paint (as before)', () => {
    const ctx = context(false);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, 10, 10);
    ctx.fillRect(20, 0, 10, 10);
    expect(pathCount(ctx)).toBe(2);
  });
});

/** A deterministic pseudo-random sequence (a linear congruential generator), for the figure's probabilities. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 2 ** 32;
    return state / 2 ** 32;
  };
}

/** 20 images (digits with grey levels, and noise) with 50 draws each: the figure that made 16,000 paths. */
function busyPredictions(): CanvasFigureSpec {
  const next = random(7);
  const image = (i: number): PanelImage => {
    const draws = Array.from({ length: 50 }, () => {
      const raw = Array.from({ length: 10 }, (_, c) => (c === i % 10 ? 4 : 0) + next() ** 3);
      const sum = raw.reduce((a, b) => a + b, 0);
      return raw.map((value) => value / sum);
    });
    const mean = draws[0].map((_, c) => draws.reduce((sum, draw) => sum + draw[c], 0) / draws.length);
    return {
      kind: i < 16 ? 'heldout' : 'noise',
      label: i < 16 ? i % 10 : null,
      pixels: Array.from({ length: 784 }, (_, p) => {
        const [row, col] = [Math.floor(p / 28), p % 28];
        const inside = Math.hypot(row - 14, col - 14) < 9 && Math.hypot(row - 14, col - 14) > 4;
        return i >= 16 ? Math.floor(next() * 256) : inside ? Math.floor(150 + next() * 106) : 0;
      }),
      drawProbabilities: draws,
      meanProbabilities: mean,
      refused: Math.max(...mean) < 0.2,
    };
  };
  const event = { ...heldout(30, -0.3, 0.9), draws: 50, panel: Array.from({ length: 20 }, (_, i) => image(i)) };
  const data = runDataFromEvents([event]);
  return predictionsFigure(data.evaluations.at(-1) ?? null, run, {});
}

function svgOf(
  spec: CanvasFigureSpec,
  size: FigureSize,
  mergePaths: boolean,
): { svg: string; width: number; height: number } {
  const sized = sizedFigure(spec, size);
  const { width, height } = figureExportSize(sized);
  const ctx = new SvgContext({
    width,
    height,
    measurer,
    fontFamily: SVG_FONT_FAMILY,
    mergePaths,
    ...svgDimensions(size, width, height),
  });
  drawFigureExport(ctx as unknown as DrawingContext, sized);
  return { svg: ctx.toSvg(), width, height };
}

function rasterize(svg: string, width: number, height: number, scale: number): Uint8ClampedArray {
  const image = new Image();
  image.src = Buffer.from(svg);
  const canvas = new Canvas(Math.round(width * scale), Math.round(height * scale));
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  return ctx.getImageData(0, 0, canvas.width, canvas.height).data;
}

const pathElement = /<path d="([^"]*)" ([^>]*)\/>/g;

/**
 * The merged SVG is the separate one with runs of consecutive same-paint paths joined: every
 * other element is the same, in the same place, and each merged path's data is exactly the
 * concatenation of the next separate paths', in order, all in its paint.
 */
function expectSameDrawing(merged: string, separate: string): void {
  const others = (svg: string) => svg.replace(pathElement, '').replace(/\n+/g, '\n');
  expect(others(merged)).toBe(others(separate));
  const pieces = [...separate.matchAll(pathElement)].map(([, d, paint]) => ({ d, paint }));
  let next = 0;
  for (const [, d, paint] of merged.matchAll(pathElement)) {
    let joined = '';
    while (joined.length < d.length && next < pieces.length) {
      expect(pieces[next].paint).toBe(paint);
      joined += pieces[next].d;
      next += 1;
    }
    expect(joined).toBe(d);
  }
  expect(next).toBe(pieces.length);
}

describe('the predictions figure of 20 images × 50 draws', () => {
  for (const sizeName of ['screen', 'column'] as const) {
    it(`looks the same merged and unmerged, in far fewer paths (${sizeName})`, () => {
      const spec = busyPredictions();
      const merged = svgOf(spec, FIGURE_SIZES[sizeName], true);
      const separate = svgOf(spec, FIGURE_SIZES[sizeName], false);
      const mergedPaths = summariseSvg(merged.svg).paths.length;
      const separatePaths = summariseSvg(separate.svg).paths.length;
      expect(separatePaths).toBeGreaterThan(12_000);
      expect(mergedPaths).toBeLessThan(separatePaths / 2);
      expect(merged.svg.length).toBeLessThan(separate.svg.length * 0.75);
      expectSameDrawing(merged.svg, separate.svg);
      // Rasterized by Skia, the two differ only where a lone rectangle's edge pixel gets another
      // antialiasing estimate than the same edge in a path of several (measured: ≤ 0.4 % of
      // channel values, up to 64 levels, on edge rows). Stated tolerance: under 1 % of channel
      // values differ by more than 2 levels, and the mean absolute difference is under 0.3 levels.
      const a = rasterize(merged.svg, merged.width, merged.height, 2);
      const b = rasterize(separate.svg, separate.width, separate.height, 2);
      let differing = 0;
      let total = 0;
      for (let i = 0; i < a.length; i += 1) {
        const difference = Math.abs(a[i] - b[i]);
        total += difference;
        if (difference > 2) differing += 1;
      }
      expect(differing / a.length).toBeLessThan(0.01);
      expect(total / a.length).toBeLessThan(0.3);
    });
  }
});

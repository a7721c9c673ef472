/**
 * The figure font's widths without a canvas (core/figures/textWidths): every entry of the table
 * is DejaVu Sans's advance as @napi-rs/canvas measures it (what the CLI draws with), a string
 * never measures narrower than it is drawn, and wrapping breaks at spaces, then after slashes and
 * hyphens, then between characters, counting only the last.
 */
import { Canvas } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { MEASURED_CHARACTERS, textWidth, wrapLines } from '../../../core/figures/textWidths';
import { figureFontFiles } from '../../../electron/host/figureRenderer';

const ctx = new Canvas(1, 1).getContext('2d');
const dejaVu = figureFontFiles()?.[0].includes('DejaVu') ?? false;

describe('text widths in the figure font', () => {
  it.runIf(dejaVu)('match DejaVu Sans for every character in the table, regular and bold', () => {
    for (const weight of [400, 700]) {
      ctx.font = `${weight} 1000px 'Workbench Sans'`;
      for (const character of MEASURED_CHARACTERS)
        expect(textWidth(character, 1000, weight), `"${character}" at ${weight}`).toBeCloseTo(
          ctx.measureText(character).width,
          -0.5,
        );
    }
  });

  it('never measure a string narrower than it is drawn (kerning only tightens), and not much wider', () => {
    const samples = [
      'LeNet5 on idx:/home/researcher/datasets · flipout · N(0, 1²) prior',
      'AVAVAV To Ty Wa held-out accuracy (1000 images) 98.50 %',
      'learningRateSchedule klScale/N_train (default)',
    ];
    for (const [size, weight] of [
      [11, 400],
      [13, 600],
      [24, 700],
    ]) {
      ctx.font = `${weight} ${size}px 'Workbench Sans'`;
      for (const text of samples) {
        const drawn = ctx.measureText(text).width;
        expect(textWidth(text, size, weight)).toBeGreaterThanOrEqual(drawn - 0.01);
        expect(textWidth(text, size, weight)).toBeLessThan(drawn * 1.06);
      }
    }
  });

  it('counts a character it does not know as wider than any it knows', () => {
    expect(textWidth('漢', 10)).toBeGreaterThan(
      Math.max(...MEASURED_CHARACTERS.map((c) => textWidth(c, 10, 700))) - 0.01,
    );
  });
});

describe('wrapping', () => {
  it('breaks at spaces, keeping double spaces inside a line', () => {
    const text = 'Bayesian LeNet5  ·  created 2026-11-29  ·  completed at step 6000';
    const wrapped = wrapLines(text, textWidth('Bayesian LeNet5  ·  created', 13) + 1, 13);
    expect(wrapped.lines[0]).toBe('Bayesian LeNet5  ·  created');
    expect(wrapped.lines.join(' ').replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' '));
    expect(wrapped.brokenWords).toBe(0);
    for (const line of wrapped.lines)
      expect(textWidth(line, 13)).toBeLessThanOrEqual(textWidth('Bayesian LeNet5  ·  created', 13) + 1);
  });

  it('breaks a long path after its slashes and hyphens before breaking any word', () => {
    const path = 'idx:/home/researcher/datasets/fashion-mnist-relabelled/idx-files';
    const wrapped = wrapLines(path, 110, 11);
    expect(wrapped.brokenWords).toBe(0);
    expect(wrapped.lines.join('')).toBe(path);
    for (const line of wrapped.lines)
      expect(line.endsWith('/') || line.endsWith('-') || path.endsWith(line)).toBe(true);
  });

  it('breaks a word wider than a line between characters, and counts it', () => {
    const wrapped = wrapLines('0.000111 = 1/9000', 20, 11);
    expect(wrapped.brokenWords).toBeGreaterThan(0);
    expect(wrapped.lines.join('').replace(/\s/g, '')).toBe('0.000111=1/9000');
    for (const line of wrapped.lines) expect(textWidth(line, 11)).toBeLessThanOrEqual(20);
    expect(wrapLines('', 20, 11).lines).toEqual(['']);
  });
});

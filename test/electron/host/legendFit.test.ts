/**
 * Legend labels fit their chart (core/figures/legendFit.ts): on a narrow panel a long run label is
 * shortened in its middle with an ellipsis so the whole item lies on the canvas; short labels and
 * wide exports keep their text.
 */
import { Canvas } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration } from 'chart.js';
import { describe, expect, it } from 'vitest';
import { fitTextInMiddle, withoutSharedParts } from '../../../core/figures/legendFit';
import { setUpHeadlessFigures } from '../../../electron/host/figureRenderer';

const LONG = 'lenet5 · fashion-mnist-ub · deterministic · seed 0 · Deterministic (MAP) (ECE 0.0316)';
const LONG_1 = 'lenet5 · fashion-mnist-ub · deterministic · seed 1 · Deterministic (MAP) (ECE 0.0292)';

function legendOf(width: number, extra: string[] = []) {
  setUpHeadlessFigures(() => undefined);
  const canvas = new Canvas(width, 300);
  const config: ChartConfiguration = {
    type: 'scatter',
    data: {
      datasets: [
        { label: 'perfect calibration', data: [{ x: 0, y: 0 }] },
        { label: LONG, data: [{ x: 1, y: 1 }] },
        ...extra.map((label) => ({ label, data: [{ x: 1, y: 1 }] })),
      ],
    },
    options: {
      animation: false,
      responsive: false,
      plugins: { legend: { position: 'top', align: 'end', labels: { usePointStyle: true, boxHeight: 7 } } },
    },
  };
  const chart = new Chart(canvas as unknown as HTMLCanvasElement, config);
  try {
    const legend = chart.legend!;
    return {
      texts: legend.legendItems!.map((item) => item.text),
      // Every item's hit box lies within the canvas: nothing is drawn past an edge.
      inside: (legend as unknown as { legendHitBoxes: { left: number; width: number }[] }).legendHitBoxes.every(
        (box) => box.left >= 0 && box.left + box.width <= width + 0.5,
      ),
    };
  } finally {
    chart.destroy();
  }
}

describe('legend labels', () => {
  it('shortens a lone label wider than a narrow chart in its middle, keeping its start and its score', () => {
    const { texts, inside } = legendOf(320);
    expect(texts[0]).toBe('perfect calibration');
    expect(texts[1]).toContain('…');
    expect(texts[1]!.startsWith('lenet5 · fashion')).toBe(true);
    expect(texts[1]!.endsWith('0.0316)')).toBe(true);
    expect(inside).toBe(true);
  });

  it('drops what the runs share before cutting, so what tells them apart stays', () => {
    const { texts, inside } = legendOf(320, [LONG_1]);
    expect(texts).toEqual([
      'perfect calibration',
      'seed 0 · Deterministic (MAP) (ECE 0.0316)',
      'seed 1 · Deterministic (MAP) (ECE 0.0292)',
    ]);
    expect(inside).toBe(true);
    // Wide enough: nothing dropped.
    expect(legendOf(900, [LONG_1]).texts).toEqual(['perfect calibration', LONG, LONG_1]);
  });

  it('keeps every label whole when the chart is wide enough (a 900 px export)', () => {
    const { texts, inside } = legendOf(900);
    expect(texts).toEqual(['perfect calibration', LONG]);
    expect(inside).toBe(true);
  });

  it('fitTextInMiddle keeps as many characters as fit, split between start and end; shared parts go first', () => {
    const measure = (text: string) => Array.from(text).length; // one unit per character
    expect(fitTextInMiddle('short', 10, measure)).toBe('short');
    const fitted = fitTextInMiddle('abcdefghijklmnopqrstuvwxyz', 11, measure);
    expect(Array.from(fitted).length).toBe(11);
    expect(fitted).toBe('abcdef…wxyz');
    expect(fitTextInMiddle('abcdefghij', 1, measure)).toBe('…');
    expect(withoutSharedParts(['a · b · c', 'a · b · d', 'alone'])).toEqual(['c', 'd', 'alone']);
    expect(withoutSharedParts(['a · b', 'alone'])).toEqual(['a · b', 'alone']);
    expect(withoutSharedParts(['a · b', 'a · b'])).toEqual(['a · b', 'a · b']);
  });
});

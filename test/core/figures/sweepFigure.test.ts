import { describe, expect, it } from 'vitest';
import { sweepParallelFigure } from '../../../core/figures/sweepFigure';
import { SvgContext } from '../../../core/figures/svgContext';

const measurer = {
  font: '10px sans-serif',
  textBaseline: 'alphabetic' as const,
  measureText: (text: string) => ({ width: text.length * 6 }),
};

function figure(scores: (number | null)[]) {
  return sweepParallelFigure({
    sweepName: 'lr × prior',
    axes: [
      { key: 'learningRate', values: [0.03, 0.01] },
      { key: 'prior.scale', values: [0.5, 1] },
    ],
    scoreKey: 'stdRatio',
    direction: 'higher',
    runs: scores.map((score, index) => ({
      id: `r${index}`,
      name: `run ${index}`,
      seed: index % 2,
      axisValues: { learningRate: index < 2 ? 0.01 : 0.03, 'prior.scale': index % 2 ? 1 : 0.5 },
      score,
    })),
  });
}

describe('the sweep parallel-coordinates figure', () => {
  it('draws an axis per swept key plus the score, a line per scored run, as vector text and paths', () => {
    const spec = figure([3, 5, 4, null]);
    const ctx = new SvgContext({ width: spec.width, height: spec.height, measurer });
    spec.draw(ctx as never, spec.width, spec.height);
    const svg = ctx.toSvg();
    for (const text of ['learningRate', 'prior.scale', 'stdRatio', '0.01', '0.03', '0.5'])
      expect(svg).toContain(`>${text}<`);
    expect(svg).toContain('3 of 4 runs drawn (1 without a score yet)');
    // Best (5) in Okabe–Ito blue, worst (3) in vermillion.
    expect(svg).toContain('#0072b2'); // colours are written as hex (core/figures/svgContext.ts)
    expect(svg).toContain('#d55e00');
    expect(spec.caption).toContain('lr × prior');
  });

  it('tabulates every run, unscored ones with an empty score', () => {
    const table = figure([3, 5, 4, null]).data!();
    expect(table.columns).toEqual(['run_id', 'run_name', 'learningRate', 'prior.scale', 'seed', 'stdRatio']);
    expect(table.rows[3]).toEqual(['r3', 'run 3', 0.03, 1, 1, null]);
  });
});

/**
 * Published reference lines (core/shift/referenceCurves.ts): only numbers a source prints, chosen
 * by the runs' dataset and the score drawn, and drawn dashed across the shift axis when asked for.
 */
import { describe, expect, it } from 'vitest';
import type { ShiftEvaluation } from '../../../core/contract/shift';
import { shiftCurve } from '../../../core/figures/shiftReport';
import { referenceCurvesFor, SHIFT_REFERENCE_CURVES } from '../../../core/shift/referenceCurves';

const level = (at: number) => ({
  level: at,
  count: 10,
  accuracy: 0.9,
  nll: 0.3,
  brier: 0.1,
  ece: 0.05,
  meanEntropy: 0.2,
  meanMutualInformation: 0.01,
});
const evaluation = {
  dataset: 'mnist',
  levels: { rotation: [0, 90, 180].map(level), roll: [0, 2].map(level), translation: [] },
} as unknown as ShiftEvaluation;

describe('shift reference curves', () => {
  it('give a score only where the source prints one, with the source named', () => {
    expect(referenceCurvesFor('mnist', 'rotation', 'ece').map((curve) => curve.method)).toEqual(['vi', 'ensemble']);
    expect(referenceCurvesFor('mnist', 'rotation', 'accuracy')).toHaveLength(3);
    expect(referenceCurvesFor('mnist', 'rotation', 'meanEntropy')).toEqual([]);
    expect(referenceCurvesFor('kmnist', 'rotation', 'accuracy')).toEqual([]);
    for (const curve of SHIFT_REFERENCE_CURVES)
      expect(curve.source).toMatch(/uncertainty-baselines.+commit [0-9a-f]{40}/);
  });

  it('are drawn dashed across the axis only when asked for', () => {
    const series = [{ label: 'run', evaluations: [evaluation] }];
    const plain = shiftCurve(series, 'rotation', 'accuracy', '');
    const withReferences = shiftCurve(series, 'rotation', 'accuracy', '', { references: true });
    const datasets = (spec: typeof plain) =>
      spec.chart.data.datasets as unknown as {
        label: string;
        data: { x: number; y: number }[];
        borderDash?: number[];
      }[];
    expect(datasets(plain).some((dataset) => dataset.label.endsWith('(reference)'))).toBe(false);
    const vi = datasets(withReferences).find((dataset) => dataset.label.includes('uncertainty-baselines VI'))!;
    expect(vi.borderDash).toEqual([6, 4]);
    expect(vi.data).toEqual([
      { x: 0, y: 98.5 },
      { x: 180, y: 98.5 },
    ]);
    expect(datasets(withReferences).filter((dataset) => dataset.label.endsWith('(reference)'))).toHaveLength(3);
  });
});

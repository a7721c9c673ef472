import { describe, expect, it } from 'vitest';
import { drawProbabilitiesFromNested, summarizeDraws } from '../../../core/metrics/predictive';
import { confidenceSet, oodAurocs, scoreShiftLevel } from '../../../core/shift/shiftScores';
import { confidenceFigure, shiftCurveFigure } from '../../../core/figures/shiftFigures';
import { shiftReportRows, shiftSeriesOf } from '../../../core/figures/shiftReport';
import { comparisonCaption } from '../../../core/figures/comparison';
import { runDataFromEvents } from '../../../core/figures/runData';
import { shiftEvaluationSchema, type ShiftEvaluation } from '../../../core/contract/shift';
import { lenet5ConfigSchema } from '../../../core/contract/runConfig';

// Two draws, three examples, two classes.
const probabilities = drawProbabilitiesFromNested([
  [
    [0.9, 0.1],
    [0.4, 0.6],
    [0.5, 0.5],
  ],
  [
    [0.7, 0.3],
    [0.2, 0.8],
    [0.5, 0.5],
  ],
]);
const labels = [0, 0, 1];

describe('shift scores', () => {
  it('scores a level: accuracy of the mean prediction, NLL of the true label, Brier', () => {
    const { scores } = scoreShiftLevel(30, probabilities, labels, true);
    // Means: [0.8, 0.2], [0.3, 0.7], [0.5, 0.5]; argmax 0, 1, 0 (ties to the lower class).
    expect(scores.level).toBe(30);
    expect(scores.accuracy).toBeCloseTo(1 / 3, 12);
    expect(scores.nll).toBeCloseTo(-(Math.log(0.8) + Math.log(0.3) + Math.log(0.5)) / 3, 6);
    const brier = (0.2 ** 2 + 0.2 ** 2 + (0.7 ** 2 + 0.7 ** 2) + (0.5 ** 2 + 0.5 ** 2)) / 3;
    expect(scores.brier).toBeCloseTo(brier, 6);
    expect(scores.meanMutualInformation).not.toBeNull();
    expect(scoreShiftLevel(0, probabilities, labels, false).scores.meanMutualInformation).toBeNull();
  });

  it("gives figure 3's counts and accuracies at confidence ≥ τ", () => {
    const summary = summarizeDraws(probabilities);
    const set = confidenceSet('held-out', 'heldout', summary, labels);
    expect(set.countAtThreshold[0]).toBe(3);
    expect(set.countAtThreshold[60]).toBe(2); // 0.8 and 0.7
    expect(set.accuracyAtThreshold[60]).toBe(0.5);
    expect(set.countAtThreshold[75]).toBe(1);
    expect(set.accuracyAtThreshold[75]).toBe(1);
    expect(set.accuracyAtThreshold[90]).toBeNull();
    expect(set.histogram.reduce((a, b) => a + b, 0)).toBe(3);
    expect(confidenceSet('noise', 'ood', summary, null).accuracyAtThreshold.every((value) => value === null)).toBe(
      true,
    );
  });

  it('gives AUROC 1 when every OOD example is less confident than every held-out one', () => {
    const confident = summarizeDraws(
      drawProbabilitiesFromNested([
        [
          [0.99, 0.01],
          [0.02, 0.98],
        ],
      ]),
    );
    const unsure = summarizeDraws(
      drawProbabilitiesFromNested([
        [
          [0.5, 0.5],
          [0.55, 0.45],
        ],
      ]),
    );
    const auroc = oodAurocs(confident, unsure, { available: true });
    expect(auroc.predictiveEntropy).toBe(1);
    expect(auroc.maxProbability).toBe(1);
  });
});

function syntheticEvaluation(accuracyAt90: number): ShiftEvaluation {
  const level = (value: number, accuracy: number) => ({
    level: value,
    count: 3,
    accuracy,
    nll: 1 - accuracy,
    brier: 1 - accuracy,
    ece: (1 - accuracy) / 2,
    meanEntropy: 1 - accuracy,
    meanMutualInformation: 0.1,
  });
  const summary = summarizeDraws(probabilities);
  return shiftEvaluationSchema.parse({
    format: 'bayesian-workbench/shift@1',
    runId: 'r',
    checkpointStep: 10,
    draws: 2,
    seed: 7,
    createdAt: '2026-01-01T00:00:00Z',
    seconds: 1,
    backend: 'cpu',
    dataset: 'mnist',
    imagesPerSet: 3,
    levels: {
      rotation: [level(0, 0.99), level(90, accuracyAt90), level(180, 0.3)],
      roll: [level(0, 0.99), level(2, 0.9)],
      translation: [],
    },
    ood: [
      {
        name: 'noise',
        description: 'noise',
        count: 3,
        auroc: { predictiveEntropy: 0.9, maxProbability: 0.8, mutualInformation: null },
      },
    ],
    confidence: {
      thresholds: Array.from({ length: 100 }, (_, i) => i / 100),
      histogramEdges: Array.from({ length: 21 }, (_, i) => i / 20),
      sets: [confidenceSet('held-out', 'heldout', summary, labels), confidenceSet('noise', 'ood', summary, null)],
    },
  });
}

describe('shift figures', () => {
  it('draws one line per run, and a mean ± std band for a seed group', () => {
    const single = shiftCurveFigure(
      [{ label: 'a', evaluations: [syntheticEvaluation(0.2)] }],
      'rotation',
      'accuracy',
      '',
    );
    const datasets = single.chart.data.datasets as { label: string; data: { x: number; y: number }[] }[];
    expect(datasets).toHaveLength(1);
    expect(datasets[0].data).toEqual([
      { x: 0, y: 99 },
      { x: 90, y: 20 },
      { x: 180, y: 30 },
    ]);
    const group = shiftCurveFigure(
      [{ label: 'seeds', evaluations: [syntheticEvaluation(0.2), syntheticEvaluation(0.4)] }],
      'rotation',
      'accuracy',
      '',
    );
    const band = group.chart.data.datasets as { label: string; data: { x: number; y: number }[] }[];
    expect(band.map((dataset) => dataset.label)).toEqual(['', '', 'seeds: mean ± std of 2']);
    expect(band[2].data[1].y).toBeCloseTo(30, 9);
    expect(band[1].data[1].y - band[2].data[1].y).toBeCloseTo(Math.SQRT2 * 10, 6);
  });

  it('ticks the x axis on the levels: every 30° of rotation, every 2 px of translation', () => {
    const ticksOf = (kind: 'rotation' | 'roll') => {
      const figure = shiftCurveFigure([{ label: 'a', evaluations: [syntheticEvaluation(0.2)] }], kind, 'ece', '');
      return (figure.chart.options?.scales?.x as { max: number; ticks: { stepSize: number } }) ?? null;
    };
    expect(ticksOf('rotation')).toMatchObject({ max: 180, ticks: { stepSize: 30 } });
    expect(ticksOf('roll')).toMatchObject({ max: 2, ticks: { stepSize: 2 } });
  });

  it('labels compared runs named alike by their method alone, the ensemble with its size', () => {
    const run = (id: string, name: string, overrides: Record<string, unknown>) => ({
      id,
      name,
      config: lenet5ConfigSchema.parse({ experiment: 'lenet5', ...overrides }),
      data: runDataFromEvents([]),
    });
    const evaluations = new Map(['v', 'd', 'e'].map((id) => [id, syntheticEvaluation(0.2)]));
    const alike = [
      run('v', 'lenet5 · quick · seed 0', { method: 'vi' }),
      run('d', 'lenet5 · quick · seed 0', { method: 'deterministic' }),
      run('e', 'lenet5 · quick · seed 0', { method: 'ensemble', members: 5 }),
    ];
    expect(shiftSeriesOf(alike, evaluations, 'config').map((series) => series.label)).toEqual([
      'Mean-field VI',
      'Deterministic (MAP)',
      'Deep ensemble (M = 5)',
    ]);
    const named = [alike[0], { ...alike[1], name: 'my MAP net' }];
    expect(shiftSeriesOf(named, evaluations, 'config').map((series) => series.label)).toEqual([
      'lenet5 · quick · seed 0 — Mean-field VI',
      'my MAP net — Deterministic (MAP)',
    ]);
    expect(comparisonCaption(alike)).toBe('3 runs: lenet5 · quick · seed 0 (×3)');
    expect(comparisonCaption(named)).toBe('2 runs: lenet5 · quick · seed 0, my MAP net');
  });

  it("puts the table, the curves and figure 3 into the run report, and figure 3's accuracy only for held-out", () => {
    const run = { name: 'run', config: lenet5ConfigSchema.parse({ experiment: 'lenet5' }) };
    const ids = shiftReportRows(syntheticEvaluation(0.2), run)
      .flat()
      .map((spec) => spec.id);
    expect(ids).toContain('shift-table');
    expect(ids).toContain('shift-rotation-accuracy');
    expect(ids).toContain('shift-roll-ece');
    expect(ids).toContain('shift-confidence-count');
    expect(confidenceFigure(syntheticEvaluation(0.2), 'accuracy', '').chart.data.datasets).toHaveLength(1);
    expect(confidenceFigure(syntheticEvaluation(0.2), 'count', '').chart.data.datasets).toHaveLength(2);
  });
});

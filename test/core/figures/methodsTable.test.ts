/**
 * The methods table, the overlays and the bands side by side are pure functions of the compared
 * runs: mean ± sample std per seed group, the best of each column by its direction (lower NLL,
 * higher accuracy), "n/a" for mutual information of a point method (from ood.json), sorting, the
 * CSV through csvField, and the comparison report carrying them.
 */
import { describe, expect, it } from 'vitest';
import type { OodEvaluation } from '../../../core/contract/ood';
import { lenet5ConfigSchema, sinusoidConfigSchema, type RunConfig } from '../../../core/contract/runConfig';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import type { RunEvent } from '../../../core/contract/runEvent';
import type { ComparisonRun } from '../../../core/figures/comparisonData';
import { comparisonReportLayout } from '../../../core/figures/comparisonReport';
import {
  regressionMethodsFigures,
  reliabilityOverlayFigure,
  riskCoverageOverlayFigure,
} from '../../../core/figures/methodsFigures';
import { formatMethodsCell, methodsTables, sortMethodsRows } from '../../../core/figures/methodsTable';
import { methodsTableCsv, methodsTableFigure } from '../../../core/figures/methodsTableOutputs';
import { runDataFromEvents } from '../../../core/figures/runData';
import { SvgContext } from '../../../core/figures/svgContext';
import { heldout } from './syntheticRun';

const lenet5 = (overrides: Record<string, unknown> = {}) =>
  lenet5ConfigSchema.parse({ experiment: 'lenet5', steps: 30, evalEvery: 10, ...overrides });

function evaluated(id: string, config: RunConfig, nats: number, accuracy: number, extra: Partial<RunEvent> = {}) {
  const event = {
    ...heldout(30, nats, accuracy),
    runId: id,
    brier: 0.1,
    aurc: 0.01,
    riskCoverage: { coverage: [0.5, 1], risk: [0, 0.02] },
    ...extra,
  } as RunEvent;
  return { id, name: id, config, tags: [], data: runDataFromEvents([event]) } satisfies ComparisonRun;
}

function oodOf(runId: string, mutualInformation: boolean): OodEvaluation {
  const set = (name: string, auroc: number) => ({
    name,
    count: 10,
    meanMaxProbability: 0.5,
    refusedAtThreshold: 0.1,
    refusedAtCalibrated: 0.5,
    scores: {
      predictiveEntropy: { auroc, fprAt95Tpr: 1 - auroc },
      maxProbability: { auroc, fprAt95Tpr: 1 - auroc },
      ...(mutualInformation ? { mutualInformation: { auroc: auroc - 0.1, fprAt95Tpr: 0.5 } } : {}),
    },
    histograms: {},
  });
  return {
    format: 'bayesian-workbench/ood@1',
    runId,
    checkpointStep: 30,
    draws: mutualInformation ? 5 : 1,
    seed: 7,
    createdAt: '2026-11-29T12:00:00Z',
    seconds: 1,
    backend: 'cpu',
    threshold: 0.2,
    calibratedThreshold: 0.6,
    acceptFraction: 0.95,
    heldoutAccuracy: 0.9,
    inDistribution: { ...set('held-out', 0.5), scores: undefined },
    outOfDistribution: [set('Noise: uniform', 0.99), set('Fashion-MNIST', mutualInformation ? 0.95 : 0.9)],
    ...(mutualInformation ? {} : { notApplicable: { mutualInformation: 'not applicable: one set of point weights' } }),
  } as unknown as OodEvaluation;
}

const runs: ComparisonRun[] = [
  { ...evaluated('det-0', lenet5({ method: 'deterministic', seed: 0 }), -0.1, 0.97), ood: oodOf('det-0', false) },
  { ...evaluated('det-1', lenet5({ method: 'deterministic', seed: 1 }), -0.2, 0.93), ood: oodOf('det-1', false) },
  {
    ...evaluated('ens-0', lenet5({ method: 'ensemble', members: 5, seed: 0 }), -0.05, 0.96),
    ood: oodOf('ens-0', true),
    summary: { steps: 30, stepsPerSecond: 3, parameterCount: 308530 } as never,
  },
];

describe('the methods table', () => {
  it('groups seeds into mean ± sample std and marks the best of each column by its direction', () => {
    const [table] = methodsTables(runs, { grouping: 'config' });
    expect(table.taskKind).toBe('classification');
    expect(table.oodSet).toBe('Fashion-MNIST');
    expect(table.rows.map((row) => row.method)).toEqual(['Deterministic (MAP)', 'Deep ensemble (M = 5)']);
    const [det, ens] = table.rows;
    expect(det.runIds).toEqual(['det-0', 'det-1']);
    // NLL = −nats: 0.1 and 0.2 → mean 0.15, sample std √((0.05² + 0.05²)/1) = 0.0707…
    expect(det.cells.nll.mean).toBeCloseTo(0.15, 12);
    expect(det.cells.nll.std).toBeCloseTo(Math.SQRT2 * 0.05, 12);
    expect(
      formatMethodsCell(
        det.cells.nll,
        table.columns.find((c) => c.key === 'nll')!,
      ),
    ).toBe('0.1500 ± 0.0707');
    // Lower NLL is better: the ensemble's 0.05; higher accuracy is better: its 96 % against 95 %.
    expect(table.best.nll).toEqual([ens.key]);
    expect(table.best.accuracy).toEqual([ens.key]);
    expect(det.cells.accuracy.mean).toBeCloseTo(0.95, 12);
    expect(table.best.aurocEntropy).toEqual([ens.key]);
    expect(table.best.fprEntropy).toEqual([ens.key]);
    // Max probability applies to every method: the deterministic runs' 0.9 against the ensemble's 0.95.
    expect(det.cells.aurocMaxProbability).toMatchObject({ mean: 0.9, count: 2 });
    expect(table.best.aurocMaxProbability).toEqual([ens.key]);
    // Mutual information of the deterministic runs is not applicable, not a number that could win.
    expect(det.cells.aurocMi).toMatchObject({ mean: null, notApplicable: 'not applicable: one set of point weights' });
    expect(
      formatMethodsCell(
        det.cells.aurocMi,
        table.columns.find((c) => c.key === 'aurocMi')!,
      ),
    ).toBe('n/a');
    expect(table.best.aurocMi).toEqual([]);
    expect(ens.cells.trainSeconds.mean).toBe(10);
    expect(ens.cells.parameters.mean).toBe(308530);
    expect(ens.cells.predictMsPerImage.mean).toBeCloseTo((1000 * 0.1) / 8, 12);
  });

  it('sorts by a column, best first or worst first, with its direction', () => {
    const [table] = methodsTables(runs);
    expect(table.rows).toHaveLength(3);
    expect(sortMethodsRows(table, 'nll').map((row) => row.label)).toEqual(['ens-0', 'det-0', 'det-1']);
    expect(sortMethodsRows(table, 'accuracy').map((row) => row.label)).toEqual(['det-0', 'ens-0', 'det-1']);
    expect(sortMethodsRows(table, 'accuracy', 'worst').map((row) => row.label)).toEqual(['det-1', 'ens-0', 'det-0']);
  });

  it('writes CSV through csvField: raw means and stds, n/a, the columns a row is best in', () => {
    const hostile = { ...runs[0], id: '=cmd', name: '=HYPERLINK("x")' };
    const [table] = methodsTables([hostile, runs[2]]);
    const lines = methodsTableCsv(table).trim().split('\n');
    expect(lines[0]).toMatch(/^task,row,method,runs,run_ids,accuracy,accuracy_std,nll,nll_std,/);
    expect(lines[0]).toMatch(/,best_in$/);
    expect(lines[1]).toMatch(/^classification,"'=HYPERLINK\(""x""\)",Deterministic \(MAP\),1,'=cmd,0.97,,0.1,,/);
    expect(lines[1]).toContain(',n/a,,');
    // The ensemble row is best in NLL (0.05 < 0.1) and the OOD entropy columns; the hostile row in accuracy.
    expect(lines[2].split(',').at(-1)).toMatch(/^nll .*ood_auroc_entropy ood_fpr95_entropy/);
    expect(lines[1].split(',').at(-1)).toMatch(/^accuracy/);
  });

  it('makes a regression table from the bands and draws the bands side by side on shared axes', () => {
    const sinusoid = (method: string, seed = 0) =>
      sinusoidConfigSchema.parse({ ...sinusoidPresets[0].config, epochs: 3, method, seed });
    const band = (id: string, stdRatio: number | null, rmse: number): ComparisonRun => ({
      id,
      name: id,
      config: sinusoid(id.split('-')[0] === 'det' ? 'deterministic' : 'vi'),
      data: runDataFromEvents([
        {
          type: 'regression',
          runId: id,
          step: 3,
          time: 3,
          grid: [-1, 0, 1],
          mean: [0, 0, 0],
          std: [1, 0.1, 1],
          trueY: [0, 0, 0],
          trainX: [0],
          trainY: [0],
          stdRatio,
          rmseInside: rmse,
          coverageInside: 1,
        },
      ]),
    });
    const bands = [band('vi-0', 7, 0.6), band('det-0', null, 0.4)];
    const [table] = methodsTables(bands);
    expect(table.taskKind).toBe('regression');
    expect(table.best.stdRatio).toEqual([]); // one value: nothing to beat
    expect(table.best.rmseInside).toEqual(['run:det-0']);
    // The deterministic net has no band: its coverage (1 in its event here) and std ratio are n/a, not scores.
    const det = table.rows.find((row) => row.key === 'run:det-0')!;
    expect(det.cells.coverageInside).toMatchObject({
      mean: null,
      notApplicable: expect.stringMatching(/no epistemic band/),
    });
    expect(det.cells.stdRatio.notApplicable).toMatch(/no epistemic band/);
    expect(table.best.coverageInside).toEqual([]);
    const figures = regressionMethodsFigures(bands);
    expect(figures.map((figure) => figure.title.split(':')[0])).toEqual(['Mean-field VI', 'Deterministic (MAP)']);
    const axes = figures.map((figure) => JSON.stringify(figure.chart.options?.scales?.y));
    expect(axes[0]).toBe(axes[1]);
  });

  it('overlays reliability and risk–coverage curves, one per run, and the report and its figure carry them', () => {
    const reliability = reliabilityOverlayFigure(runs);
    expect(reliability.chart.data.datasets).toHaveLength(1 + runs.length);
    const riskCoverage = riskCoverageOverlayFigure(runs);
    expect(riskCoverage.chart.data.datasets.map((dataset) => dataset.label)).toEqual([
      'det-0 · Deterministic (MAP) (AURC 0.01)',
      'det-1 · Deterministic (MAP) (AURC 0.01)',
      'ens-0 · Deep ensemble (M = 5) (AURC 0.01)',
    ]);
    const layout = comparisonReportLayout(runs, { generatedAt: '2026-11-29T12:00:00Z' });
    const ids = layout.panels.map((panel) => panel.spec.id);
    expect(ids).toContain('methods-table-classification');
    expect(ids).toContain('compare-reliability');
    expect(ids).toContain('compare-risk-coverage');

    const [table] = methodsTables(runs, { grouping: 'config' });
    const figure = methodsTableFigure(table, 'caption');
    const svg = new SvgContext({
      width: figure.width,
      height: figure.height,
      measurer: { font: '', textBaseline: 'top', measureText: (text) => ({ width: text.length * 5.5 }) },
    });
    figure.draw(svg, figure.width, figure.height);
    const text = svg.toSvg();
    // Mean, then "± std" under it, whole at the figure's own width.
    expect(text).toContain('>0.1500<');
    expect(text).toContain('>± 0.0707<');
    expect(text).toContain('n/a');
    expect(text).toContain('▼ lower');
  });
});

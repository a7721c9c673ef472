/**
 * Post-hoc rows of the methods table: a seed group whose runs carry temperature-scaling or Laplace
 * fits (runs/<id>/posthoc-<method>.json) gets a row per post-hoc method under its own, averaging the
 * fits' `after` scores over the runs that have the fit (and saying how many), OOD separation from the
 * fits' sets, the base runs' training time and parameters, best marks and sorting over every row, and
 * the same rows in the CSV and the figure.
 */
import { describe, expect, it } from 'vitest';
import { POSTHOC_FIT_FORMAT, type PosthocFit } from '../../../core/contract/posthoc';
import { lenet5ConfigSchema, sinusoidConfigSchema, type RunConfig } from '../../../core/contract/runConfig';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import type { RunEvent } from '../../../core/contract/runEvent';
import type { ComparisonRun } from '../../../core/figures/comparisonData';
import { comparisonReportLayout } from '../../../core/figures/comparisonReport';
import { formatMethodsCell, methodsTables, sortMethodsRows } from '../../../core/figures/methodsTable';
import { methodsTableCsv, methodsTableFigure, methodsTableMarkdown } from '../../../core/figures/methodsTableOutputs';
import { runDataFromEvents } from '../../../core/figures/runData';
import { SvgContext } from '../../../core/figures/svgContext';
import { heldout } from './syntheticRun';

const lenet5 = (overrides: Record<string, unknown> = {}) =>
  lenet5ConfigSchema.parse({ experiment: 'lenet5', steps: 30, evalEvery: 10, ...overrides });

function run(id: string, config: RunConfig, nats: number, ece: number, posthoc: PosthocFit[] = []): ComparisonRun {
  const event = { ...heldout(30, nats, 0.95), runId: id, ece, brier: 0.1, aurc: 0.01 } as RunEvent;
  return {
    id,
    name: id,
    config,
    tags: [],
    data: runDataFromEvents([event]),
    summary: { steps: 30, stepsPerSecond: 0.5, parameterCount: 61706 } as never,
    posthoc,
  };
}

function fit(
  runId: string,
  method: 'temperatureScaling' | 'laplace',
  after: { heldoutNats: number; ece: number; accuracy: number },
  auroc: number,
): PosthocFit {
  const separation = { auroc, fprAt95Tpr: 1 - auroc };
  return {
    format: POSTHOC_FIT_FORMAT,
    runId,
    method,
    baseMethod: 'deterministic',
    taskKind: 'classification',
    createdAt: '2026-11-29T18:00:00Z',
    before: { heldoutNats: -0.1, ece: 0.02, accuracy: after.accuracy, brier: 0.1, aurc: 0.01 },
    after: { ...after, brier: 0.09, aurc: 0.009 },
    ...(method === 'temperatureScaling' ? { temperature: 1.5 } : { priorPrecision: 3, hessian: 'kron' }),
    validationImages: 900,
    ood: {
      sets: [
        {
          name: 'Fashion-MNIST',
          before: { predictiveEntropy: separation, maxProbability: separation },
          after: { predictiveEntropy: separation, maxProbability: { auroc: auroc - 0.01, fprAt95Tpr: 0.5 } },
        },
      ],
      notApplicable: { after: { mutualInformation: 'not applicable: one set of probabilities' } },
    },
  };
}

// Three deterministic seeds: temperature fitted on seeds 0 and 1, Laplace on seed 2 only; one VI run.
const runs: ComparisonRun[] = [
  run('det-0', lenet5({ method: 'deterministic', seed: 0 }), -0.1, 0.02, [
    fit('det-0', 'temperatureScaling', { heldoutNats: -0.08, ece: 0.01, accuracy: 0.95 }, 0.92),
  ]),
  run('det-1', lenet5({ method: 'deterministic', seed: 1 }), -0.12, 0.03, [
    fit('det-1', 'temperatureScaling', { heldoutNats: -0.09, ece: 0.005, accuracy: 0.95 }, 0.94),
  ]),
  run('det-2', lenet5({ method: 'deterministic', seed: 2 }), -0.11, 0.025, [
    fit('det-2', 'laplace', { heldoutNats: -0.2, ece: 0.06, accuracy: 0.94 }, 0.88),
  ]),
  run('vi-0', lenet5({ seed: 0 }), -0.07, 0.04),
];

describe('post-hoc rows of the methods table', () => {
  it('adds a row per fitted post-hoc method under its seed group, averaged over the runs that have the fit', () => {
    const [table] = methodsTables(runs, { grouping: 'config' });
    expect(table.rows.map((row) => row.method)).toEqual([
      'Deterministic (MAP)',
      'Deterministic (MAP) + temperature scaling (fitted on 2 of 3 runs)',
      'Deterministic (MAP) + last-layer Laplace (fitted on 1 of 3 runs)',
      'Mean-field VI',
    ]);
    const [det, temperature, laplace] = table.rows;
    expect(temperature.label).toBe(det.label);
    expect(temperature.runIds).toEqual(['det-0', 'det-1']);
    expect(temperature.posthoc).toEqual({ method: 'temperatureScaling', runsWithFit: 2, runsInGroup: 3 });
    // NLL = −after.heldoutNats: 0.08 and 0.09 → mean 0.085, sample std √(2 · 0.005²) = 0.00707…
    expect(temperature.cells.nll.mean).toBeCloseTo(0.085, 12);
    expect(temperature.cells.nll.std).toBeCloseTo(Math.SQRT2 * 0.005, 12);
    expect(temperature.cells.nll.count).toBe(2);
    expect(temperature.cells.ece.mean).toBeCloseTo(0.0075, 12);
    // OOD from the fits' own sets, after the fit; mutual information n/a as the fit says.
    expect(temperature.cells.aurocEntropy.mean).toBeCloseTo(0.93, 12);
    expect(temperature.cells.aurocMaxProbability.mean).toBeCloseTo(0.92, 12);
    expect(
      formatMethodsCell(
        temperature.cells.aurocMi,
        table.columns.find((c) => c.key === 'aurocMi')!,
      ),
    ).toBe('n/a');
    // Cost: the base runs' training time (30 steps at 0.5 steps/s) and parameters; no prediction time measured.
    expect(temperature.cells.trainSeconds).toMatchObject({ mean: 60, count: 2 });
    expect(temperature.cells.parameters.mean).toBe(61706);
    expect(
      formatMethodsCell(
        temperature.cells.predictMsPerImage,
        table.columns.find((c) => c.key === 'predictMsPerImage')!,
      ),
    ).toBe('—');
    // One fit: a mean without a std.
    expect(laplace.cells.nll).toMatchObject({ mean: 0.2, std: 0, count: 1 });
    expect(laplace.runIds).toEqual(['det-2']);
    // The base row is untouched by its fits: the trained runs' own scores.
    expect(det.cells.nll.mean).toBeCloseTo(0.11, 12);
    expect(det.cells.nll.count).toBe(3);
  });

  it('marks the best of each column and sorts over the post-hoc rows too', () => {
    const [table] = methodsTables(runs, { grouping: 'config' });
    const temperature = table.rows[1];
    // ECE: temperature scaling's 0.0075 beats the base's 0.025, VI's 0.04 and Laplace's 0.06.
    expect(table.best.ece).toEqual([temperature.key]);
    // Training time and parameters are the base runs': a post-hoc row repeats them, never wins them.
    expect(temperature.cells.trainSeconds.mean).toBe(60);
    expect(table.best.trainSeconds).toEqual([table.rows[0].key, table.rows[3].key]);
    expect(table.best.parameters).toEqual([table.rows[0].key, table.rows[3].key]);
    // NLL: VI's 0.07 beats temperature scaling's 0.085.
    expect(table.best.nll).toEqual([table.rows[3].key]);
    expect(table.rows[3].method).toBe('Mean-field VI');
    expect(sortMethodsRows(table, 'ece').map((row) => row.posthoc?.method ?? row.method)).toEqual([
      'temperatureScaling',
      'Deterministic (MAP)',
      'Mean-field VI',
      'laplace',
    ]);
  });

  it('ungrouped, each run gets its own post-hoc row', () => {
    const [table] = methodsTables(runs);
    expect(table.rows.map((row) => row.key)).toEqual([
      'run:det-0',
      'run:det-0+temperatureScaling',
      'run:det-1',
      'run:det-1+temperatureScaling',
      'run:det-2',
      'run:det-2+laplace',
      'run:vi-0',
    ]);
    expect(table.rows[1].method).toBe('Deterministic (MAP) + temperature scaling');
  });

  it('carries the rows into the CSV, the figure and the comparison report', () => {
    const [table] = methodsTables(runs, { grouping: 'config' });
    const lines = methodsTableCsv(table).trim().split('\n');
    expect(lines).toHaveLength(1 + 4);
    const header = lines[0].split(',');
    const temperatureLine = lines.find((line) => line.includes('+ temperature scaling'))!;
    const cells = temperatureLine.split(',');
    expect(cells[header.indexOf('runs')]).toBe('2');
    expect(cells[header.indexOf('run_ids')]).toBe('det-0 det-1');
    expect(Number(cells[header.indexOf('nll')])).toBeCloseTo(0.085, 12);
    expect(cells[header.indexOf('ood_auroc_mi')]).toBe('n/a');
    expect(cells.at(-1)).toMatch(/\bece\b/);

    // Markdown as the view shows it: mean ± std, n/a, —, the best in bold, pipes in a name escaped.
    const markdown = methodsTableMarkdown(table).trim().split('\n');
    expect(markdown).toHaveLength(2 + 4);
    expect(markdown[0]).toMatch(/^\| run \/ seed group \| method \| runs \| accuracy \| NLL \(nats\) \|/);
    const temperatureMarkdown = markdown.find((line) => line.includes('+ temperature scaling'))!;
    expect(temperatureMarkdown).toContain('| 2 | **95.00 % ± 0.00 %** | 0.0850 ± 0.0071 |'); // accuracy: a three-way tie at 95 %
    expect(temperatureMarkdown).toContain('| **0.0075 ± 0.0035** |');
    expect(temperatureMarkdown).toContain('| n/a |');
    expect(temperatureMarkdown).toMatch(/\| — \| 61,706 ± 0 \|$/);
    const piped = methodsTableMarkdown(methodsTables([{ ...runs[3], id: 'a|b', name: 'a|b' }])[0]);
    expect(piped).toContain('| a\\|b | Mean-field VI |');

    const figure = methodsTableFigure(table, 'caption');
    const svg = new SvgContext({
      width: figure.width,
      height: figure.height,
      measurer: { font: '', textBaseline: 'top', measureText: (text) => ({ width: text.length * 2 }) },
    });
    figure.draw(svg, figure.width, figure.height);
    const text = svg.toSvg();
    expect(text).toContain('+ temperature scaling');
    expect(text).toContain('>0.0850<');

    // The comparison report draws the same table (grouped by configuration, its default).
    const layout = comparisonReportLayout(runs, { generatedAt: '2026-11-29T18:00:00Z' });
    const spec = layout.panels.find((candidate) => candidate.spec.id === 'methods-table-classification')?.spec;
    expect(spec?.kind).toBe('canvas');
    const reportSvg = new SvgContext({
      width: figure.width,
      height: figure.height,
      measurer: { font: '', textBaseline: 'top', measureText: (text) => ({ width: text.length * 2 }) },
    });
    if (spec?.kind === 'canvas') spec.draw(reportSvg, spec.width, spec.height);
    expect(reportSvg.toSvg()).toContain('+ last-layer Laplace');
  });

  it('gives a regression run its Laplace row from the fit band scores, n/a nowhere the band exists', () => {
    const config = sinusoidConfigSchema.parse({ ...sinusoidPresets[0].config, epochs: 3, method: 'deterministic' });
    const laplaceFit: PosthocFit = {
      format: POSTHOC_FIT_FORMAT,
      runId: 'det-sin',
      method: 'laplace',
      baseMethod: 'deterministic',
      taskKind: 'regression',
      createdAt: '2026-11-29T18:00:00Z',
      before: { stdRatio: null, rmseInside: 0.445, coverageInside: 0 },
      after: { stdRatio: 8.46, rmseInside: 0.445, coverageInside: 0.976 },
      priorPrecision: 0.267,
    };
    const band: ComparisonRun = {
      id: 'det-sin',
      name: 'det-sin',
      config,
      data: runDataFromEvents([
        {
          type: 'regression',
          runId: 'det-sin',
          step: 3,
          time: 3,
          grid: [-1, 0, 1],
          mean: [0, 0, 0],
          std: [0, 0, 0],
          trueY: [0, 0, 0],
          trainX: [0],
          trainY: [0],
          stdRatio: null,
          rmseInside: 0.445,
          coverageInside: 0,
        },
      ]),
      posthoc: [laplaceFit],
    };
    const [table] = methodsTables([band]);
    expect(table.taskKind).toBe('regression');
    const [det, laplace] = table.rows;
    expect(det.cells.stdRatio.notApplicable).toMatch(/no epistemic band/);
    expect(laplace.method).toBe('Deterministic (MAP) + last-layer Laplace');
    expect(laplace.cells.stdRatio).toMatchObject({ mean: 8.46, count: 1 });
    expect(laplace.cells.coverageInside.mean).toBe(0.976);
    expect(laplace.cells.rmseInside.mean).toBe(0.445);
    // The fit changes the predictive, not the training loss: no training NLL of its own.
    expect(laplace.cells.nll.mean).toBeNull();
  });
});

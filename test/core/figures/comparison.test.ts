/**
 * Comparison figures and their numbers are pure functions of the compared runs: the debiased EMA
 * matches its formula (and is gap-aware), seed groups form by tag or by config-except-seed, mean ±
 * std bands are right, config differences flatten nested settings, values at a step are the last
 * at or before it, the CSV has one row per run per step, and the posterior overlay picks one layer.
 */
import { describe, expect, it } from 'vitest';
import type { ChartDataset, Point } from 'chart.js';
import { lenet5ConfigSchema, sinusoidConfigSchema, type RunConfig } from '../../../core/contract/runConfig';
import type { RunEvent } from '../../../core/contract/runEvent';
import {
  availableMetrics,
  comparisonCsv,
  comparisonMetricFigure,
  configDifferences,
  flattenConfig,
  meanAndStd,
  metricValuesAt,
  posteriorOverlayFigure,
  posteriorSteps,
  seedGroups,
  sharedLayerNames,
  smoothSeries,
  type ComparisonRun,
} from '../../../core/figures/comparison';
import { csvField } from '../../../core/figures/csvField';
import { seriesColour } from '../../../core/figures/palette';
import { runDataFromEvents } from '../../../core/figures/runData';
import { heldout, posterior } from './syntheticRun';

const lenet5 = (overrides: Record<string, unknown> = {}) =>
  lenet5ConfigSchema.parse({ experiment: 'lenet5', steps: 30, evalEvery: 10, ...overrides });
const sinusoid = sinusoidConfigSchema.parse({
  experiment: 'sinusoid',
  epochs: 3,
  learningRate: 0.03,
  prior: { kind: 'normal', scale: 1 },
  kl: 'analytic',
  init: {},
});

function metricsEvents(
  runId: string,
  losses: number[],
  extra: Partial<Extract<RunEvent, { type: 'metrics' }>> = {},
): RunEvent[] {
  return losses.map((loss, i) => ({
    type: 'metrics',
    runId,
    step: i + 1,
    time: i + 1,
    loss,
    nll: loss / 2,
    kl: 100,
    klWeight: 0.01,
    ...extra,
  }));
}

function comparedRun(id: string, config: RunConfig, events: RunEvent[], tags: string[] = [], name = id): ComparisonRun {
  return { id, name, config, tags, data: runDataFromEvents(events) };
}

function datasets(runs: ComparisonRun[], key: string, options = {}) {
  return comparisonMetricFigure(runs, key, options).chart.data.datasets as ChartDataset<'scatter', Point[]>[];
}

describe('smoothSeries (debiased EMA)', () => {
  it('is the bias-corrected EMA on evenly spaced points, so the first point is not pulled toward zero', () => {
    const points = [10, 20, 30, 40].map((y, i) => ({ x: i + 1, y }));
    const beta = 0.6;
    let s = 0;
    const expected = points.map((point, t) => {
      s = beta * s + (1 - beta) * point.y;
      return s / (1 - beta ** (t + 1));
    });
    const smoothed = smoothSeries(points, beta);
    smoothed.forEach((point, i) => expect(point.y).toBeCloseTo(expected[i], 10));
    expect(smoothed[0].y).toBeCloseTo(10, 10);
    expect(smoothSeries(points, 0)).toEqual(points);
  });

  it('keeps a constant series constant and decays by β^gap across a larger step gap', () => {
    expect(
      smoothSeries(
        [1, 2, 3, 10].map((x) => ({ x, y: 5 })),
        0.9,
      ).map((p) => p.y),
    ).toEqual([5, 5, 5, 5].map((v) => expect.closeTo(v, 10)));
    // Steps 1, 2, 3, then 13 (10 typical gaps): the old average keeps weight 0.5^10 only.
    const smoothed = smoothSeries(
      [
        { x: 1, y: 0 },
        { x: 2, y: 0 },
        { x: 3, y: 0 },
        { x: 13, y: 1 },
      ],
      0.5,
    );
    expect(smoothed[3].y).toBeGreaterThan(0.999);
  });
});

describe('seed groups and bands', () => {
  const a = comparedRun('a', lenet5({ seed: 0 }), metricsEvents('a', [4, 2]), ['sweep'], 'kl sweep · seed 0');
  const b = comparedRun('b', lenet5({ seed: 1 }), metricsEvents('b', [6, 4]), ['sweep'], 'kl sweep · seed 1');
  const c = comparedRun('c', lenet5({ seed: 0, learningRate: 0.01 }), metricsEvents('c', [1, 1]), ['other']);

  it('groups by a shared tag, or by identical config except the seed', () => {
    expect(seedGroups([a, b, c], 'tag').map((group) => [group.label, group.runs.map((run) => run.id)])).toEqual([
      ['sweep (2 seeds)', ['a', 'b']],
      ['c', ['c']],
    ]);
    expect(seedGroups([a, b, c], 'config').map((group) => [group.label, group.runs.map((run) => run.id)])).toEqual([
      ['kl sweep (2 seeds)', ['a', 'b']],
      ['c', ['c']],
    ]);
    expect(seedGroups([a, b, c], 'none')).toHaveLength(3);
  });

  it('mean ± sample std per step', () => {
    expect(
      meanAndStd([
        [
          { x: 1, y: 4 },
          { x: 2, y: 2 },
        ],
        [
          { x: 1, y: 6 },
          { x: 2, y: 4 },
        ],
      ]),
    ).toEqual([
      { x: 1, mean: 5, std: Math.SQRT2, count: 2 },
      { x: 2, mean: 3, std: Math.SQRT2, count: 2 },
    ]);
  });

  it('draws a group as lower edge, filled upper edge and mean line; single runs as lines', () => {
    const sets = datasets([a, b, c], 'loss', { grouping: 'tag' });
    expect(sets.map((set) => set.label)).toEqual(['', '', 'sweep (2 seeds): mean ± std', 'c']);
    expect(sets[0].data[0]).toEqual({ x: 1, y: 5 - Math.SQRT2 });
    expect(sets[1].data[0]).toEqual({ x: 1, y: 5 + Math.SQRT2 });
    expect((sets[1] as { fill?: unknown }).fill).toBe('-1');
    expect(sets[2].data).toEqual([
      { x: 1, y: 5 },
      { x: 2, y: 3 },
    ]);
  });
});

describe('comparisonMetricFigure', () => {
  const a = comparedRun('a', lenet5(), [...metricsEvents('a', [4, 2, 1], { accuracy: 0.5 }), heldout(10, -0.9, 0.7)]);
  const b = comparedRun('b', lenet5(), [...metricsEvents('b', [80, 4, 2], { accuracy: 0.6 }), heldout(10, -0.7, 0.8)]);
  const s = comparedRun('s', sinusoid, metricsEvents('s', [300, 200, 100], { mse: 3 }));

  it('overlays every run by step, with axes named and the run names in the caption', () => {
    const spec = comparisonMetricFigure([a, b], 'loss');
    const sets = spec.chart.data.datasets as ChartDataset<'scatter', Point[]>[];
    expect(sets.map((set) => set.label)).toEqual(['a', 'b']);
    expect(sets[1].data).toEqual([
      { x: 1, y: 80 },
      { x: 2, y: 4 },
      { x: 3, y: 2 },
    ]);
    expect((spec.chart.options?.scales?.y as { type?: string }).type).toBe('logarithmic');
    expect(spec.caption).toBe('2 runs: a, b');
    expect(spec.id).toBe('compare-loss');
  });

  it("colours a run by its colour slot when it has one (the compare view's), by its position otherwise", () => {
    const colours = (runs: ComparisonRun[]) =>
      (comparisonMetricFigure(runs, 'loss').chart.data.datasets as ChartDataset<'scatter', Point[]>[]).map(
        (set) => set.borderColor,
      );
    expect(colours([a, b])).toEqual([seriesColour(0), seriesColour(1)]);
    // b keeps slot 1 when a is unchecked: its line keeps its colour.
    expect(colours([{ ...b, colourSlot: 1 }])).toEqual([seriesColour(1)]);
    expect(
      colours([
        { ...b, colourSlot: 1 },
        { ...a, colourSlot: 0 },
      ]),
    ).toEqual([seriesColour(1), seriesColour(0)]);
    // The posterior overlay and a seed group (its first run's slot) follow the same slots.
    const grouped = comparisonMetricFigure(
      [
        { ...a, colourSlot: 2, tags: ['pair'] },
        { ...b, colourSlot: 0, tags: ['pair'] },
      ],
      'loss',
      { grouping: 'tag' },
    );
    const groupColours = (grouped.chart.data.datasets as ChartDataset<'scatter', Point[]>[]).map(
      (set) => set.borderColor,
    );
    expect(groupColours.filter((colour) => colour === seriesColour(2)).length).toBeGreaterThan(0);
    expect(groupColours).not.toContain(seriesColour(0));
  });

  it('draws fractions in percent and smoothed lines over faint raw ones', () => {
    expect(datasets([a, b], 'heldoutAccuracy')[1].data).toEqual([{ x: 10, y: 80 }]);
    const smoothed = datasets([a], 'loss', { smoothing: 0.5 });
    expect(smoothed.map((set) => set.label)).toEqual(['', 'a']);
    expect(smoothed[0].data.map((p) => p.y)).toEqual([4, 2, 1]);
    expect(smoothed[1].data[0].y).toBeCloseTo(4, 10);
    expect(smoothed[1].data[2].y).toBeGreaterThan(1);
  });

  it('offers only the metrics some run has', () => {
    expect(availableMetrics([a, b]).map((m) => m.key)).toEqual([
      'loss',
      'nll',
      'kl',
      'trainAccuracy',
      'heldoutNats',
      'heldoutAccuracy',
      'ece',
      'noiseRefusal',
      'digitRefusal',
    ]);
    expect(availableMetrics([s]).map((m) => m.key)).toEqual(['loss', 'nll', 'kl', 'mse']);
  });

  it('names the kl series as the runs have it: ΣKL for VI, ½Σw² for point methods, both when mixed', () => {
    const point = comparedRun('p', lenet5({ method: 'deterministic' }), metricsEvents('p', [4, 2, 1]));
    const vi = comparedRun('v', lenet5(), metricsEvents('v', [4, 2, 1]));
    const label = (runs: ComparisonRun[], key: string) => availableMetrics(runs).find((m) => m.key === key)!;
    expect(label([vi], 'kl').label).toBe('ΣKL');
    expect(label([point], 'kl').label).toBe('½Σw²');
    expect(label([point], 'kl').axis).toBe('½Σw² (weight-decay term, unweighted)');
    expect(label([vi, point], 'kl').label).toBe('ΣKL or ½Σw²');
    const title = (runs: ComparisonRun[]) => comparisonMetricFigure(runs, 'kl').title;
    expect(title([point])).toBe('½Σw² by step');
    expect(title([vi])).toBe('ΣKL by step');
    const yTitle = (runs: ComparisonRun[]) =>
      (comparisonMetricFigure(runs, 'kl').chart.options?.scales?.y as { title?: { text?: string } }).title?.text;
    expect(yTitle([point])).toContain('½Σw²');
  });

  it('uses a linear axis when a value is not positive or the values span less than a decade', () => {
    const yType = (spec: ReturnType<typeof comparisonMetricFigure>) =>
      (spec.chart.options?.scales?.y as { type?: string }).type;
    expect(yType(comparisonMetricFigure([a, b], 'heldoutNats'))).toBe('linear');
    expect(yType(comparisonMetricFigure([a], 'loss'))).toBe('linear');
  });

  it('names smoothing and seed groups in the title and, for exports, the caption', () => {
    const spec = comparisonMetricFigure([a, b], 'loss', { smoothing: 0.6, grouping: 'config' });
    expect(spec.title).toBe('Loss by step · EMA β 0.6 · mean ± std over seeds');
    expect(spec.caption).toBe(
      '2 runs: a, b · smoothed by a debiased EMA, β = 0.6 · seed groups by config: mean ± sample std',
    );
  });
});

describe('config differences', () => {
  it('flattens nested settings and keeps only those that differ', () => {
    expect(flattenConfig(lenet5())).toMatchObject({
      'prior.kind': 'normal',
      'prior.scale': 1,
      'init.rho': -3.5,
      'init.muStd': 0.1,
    });
    const rows = configDifferences([
      lenet5({ seed: 1, init: { muStd: 0.1, rho: -5 } }),
      lenet5({ seed: 2, prior: { kind: 'normal', scale: 0.5 } }),
    ]);
    expect(rows).toEqual([
      { key: 'seed', values: [1, 2] },
      { key: 'prior.scale', values: [1, 0.5] },
      { key: 'init.rho', values: [-5, -3.5] },
    ]);
  });

  it('shows settings only one experiment has as missing in the other', () => {
    const rows = configDifferences([lenet5(), sinusoid]);
    expect(rows.find((row) => row.key === 'dataset')?.values).toEqual(['mnist', undefined]);
    expect(rows.find((row) => row.key === 'hiddenUnits')?.values).toEqual([undefined, '[20,20]']);
  });
});

describe('values at a step and CSV', () => {
  const a = comparedRun('a', lenet5(), [...metricsEvents('a', [4, 2, 1]), heldout(2, -0.9, 0.7)], [], 'run "a", first');
  const b = comparedRun('b', lenet5(), metricsEvents('b', [8, 4]));

  it('takes the last value at or before the step, and the last value', () => {
    const rows = metricValuesAt([a, b], 2);
    expect(rows[0].values.loss).toEqual({ atStep: { x: 2, y: 2 }, atEnd: { x: 3, y: 1 } });
    expect(rows[0].values.heldoutNats).toEqual({ atStep: { x: 2, y: -0.9 }, atEnd: { x: 2, y: -0.9 } });
    expect(rows[1].values.heldoutNats).toEqual({ atStep: null, atEnd: null });
    expect(metricValuesAt([a], 0)[0].values.loss.atStep).toBeNull();
  });

  it('writes one row per run per step, a column per metric, quoting names', () => {
    const csv = comparisonCsv([a, b]);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'run_id,run_name,step,loss,nll,kl,heldout_nats,heldout_accuracy,ece,noise_refusal,digit_refusal',
    );
    expect(lines[1]).toBe('a,"run ""a"", first",1,4,2,100,,,,,');
    expect(lines[2]).toBe('a,"run ""a"", first",2,2,1,100,-0.9,0.7,0.05,0.4,0.1');
    expect(lines.filter((line) => line.startsWith('b,'))).toHaveLength(2);
    expect(lines).toHaveLength(1 + 3 + 2);
  });

  it('neutralises run names a spreadsheet would run as formulas (OWASP CSV injection), in every CSV writer', () => {
    const names = ['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd'];
    const runs = names.map((name, i) => comparedRun(`r${i}`, lenet5(), metricsEvents(`r${i}`, [1]), [], name));
    const nameCells = comparisonCsv(runs)
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => line.slice(line.indexOf(',') + 1));
    // Each name is written as text: a leading ' (and quoted where it holds a comma, quote or CR).
    expect(nameCells[0].startsWith(`"'=HYPERLINK(""http://evil.example"",""x"")"`)).toBe(true);
    expect(nameCells[1].startsWith("'+1+1,")).toBe(true);
    expect(nameCells[2].startsWith("'-2+3,")).toBe(true);
    expect(nameCells[3].startsWith("'@SUM(A1),")).toBe(true);
    expect(nameCells[4].startsWith("'\tcmd,")).toBe(true);
    expect(nameCells[5].startsWith(`"'\rcmd",`)).toBe(true);
    // Numbers keep their sign: a negative value is a number, not a formula.
    expect(csvField(-0.5)).toBe('-0.5');
    expect(csvField('-0.5')).toBe("'-0.5");
    expect(csvField('plain')).toBe('plain');
  });
});

describe('posterior overlay', () => {
  const withPosterior = (id: string, steps: number[]) =>
    comparedRun(
      id,
      lenet5(),
      steps.map((step) => ({ ...posterior(step), runId: id })),
    );
  const a = withPosterior('a', [10, 20]);
  const b = withPosterior('b', [10]);

  it('overlays the same layer from every run at the chosen step', () => {
    expect(sharedLayerNames([a, b])).toEqual(['conv1', 'dense2']);
    expect(posteriorSteps([a, b])).toEqual([10, 20]);
    const spec = posteriorOverlayFigure([a, b], 'dense2', 'mu', 20);
    const sets = spec.chart.data.datasets as ChartDataset<'scatter', Point[]>[];
    expect(sets.map((set) => set.label)).toEqual(['a', 'b (step 10)']);
    expect(sets[0].data).toHaveLength(4);
    expect(spec.title).toBe('Posterior μ of dense2 at step 20, per run');
    expect(posteriorOverlayFigure([a, b], 'missing', 'sigma', null).chart.data.datasets).toEqual([]);
  });
});

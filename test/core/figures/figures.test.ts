/**
 * The figure specs are pure functions of run data: given a small synthetic event list, each spec
 * has the expected datasets, points, labels and axes, and canvas figures draw on a Node canvas.
 */
import { createCanvas } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import type { ChartDataset, Point } from 'chart.js';
import { regressionFigure } from '../../../core/figures/regressionFigure';
import {
  canvasExportSize,
  drawCanvasFigureForExport,
  eceFigure,
  EXPORT_PIXEL_RATIO,
  exportChartConfiguration,
  figureCaption,
  heldoutFigure,
  histogramDensity,
  lossFigure,
  posteriorDensityFigure,
  predictionsFigure,
  priorParametersFigure,
  refusalFigure,
  reliabilityFigure,
  runDataFromEvents,
  type Canvas2DContext,
  type ChartFigureSpec,
} from '../../../core/figures';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import { events, heldout, metrics, run } from './syntheticRun';

const data = runDataFromEvents(events);

function datasets(spec: ChartFigureSpec): ChartDataset[] {
  return spec.chart.data.datasets as ChartDataset[];
}
function points(spec: ChartFigureSpec, index: number): Point[] {
  return datasets(spec)[index].data as Point[];
}
function axisTitle(spec: ChartFigureSpec, axis: string): string {
  const scale = spec.chart.options?.scales?.[axis] as { title?: { text?: string; display?: boolean } } | undefined;
  expect(scale?.title?.display).toBe(true);
  return String(scale?.title?.text);
}

/** A context that records the text it is asked to draw (and accepts everything else). */
function recordingContext(): Canvas2DContext & { texts: string[]; rects: number } {
  const texts: string[] = [];
  let rects = 0;
  const noop = () => {};
  return {
    texts,
    get rects() {
      return rects;
    },
    fillStyle: '',
    strokeStyle: '',
    lineWidth: 1,
    globalAlpha: 1,
    font: '',
    textAlign: 'left',
    textBaseline: 'top',
    save: noop,
    restore: noop,
    translate: noop,
    fillRect: () => void (rects += 1),
    strokeRect: noop,
    clearRect: noop,
    beginPath: noop,
    moveTo: noop,
    lineTo: noop,
    stroke: noop,
    setLineDash: noop,
    fillText: (text: string) => void texts.push(text),
    measureText: (text: string) => ({ width: text.length * 6 }),
  };
}

describe('runDataFromEvents', () => {
  it('folds events into series, ignoring repeats by step', () => {
    expect(data.metrics.step).toEqual([1, 2, 3]);
    expect(data.metrics.klWeight).toEqual([1 / 9000, 1 / 9000, 1 / 9000]);
    expect(data.evaluations.map((event) => event.step)).toEqual([10, 20]);
    expect(data.posteriors.map((event) => event.step)).toEqual([10, 20]);
    expect(data.progress?.total).toBe(30);
    expect(data.status?.state).toBe('running');
    expect(data.regression).toBeNull();
  });

  it('drops what a resumed run trained after its checkpoint, once', () => {
    const resumed = {
      type: 'status',
      runId: 'run-1',
      step: 10,
      time: 30,
      state: 'queued',
      resumedFromStep: 10,
    } as const;
    const folded = runDataFromEvents([...events, resumed, metrics(11), resumed, metrics(12)]);
    expect(folded.metrics.step).toEqual([1, 2, 3, 11, 12]);
    expect(folded.evaluations.map((event) => event.step)).toEqual([10]);
    expect(folded.posteriors.map((event) => event.step)).toEqual([10]);
  });
});

describe('chart figures', () => {
  it('loss: loss, NLL and ΣKL per step with the KL weight in the legend', () => {
    const spec = lossFigure(data, run, { totalSteps: 30 });
    expect(datasets(spec).map((dataset) => dataset.label)).toEqual([
      'loss = NLL + w·ΣKL',
      'NLL (batch mean)',
      'ΣKL (w = 0.000111 = 1/9000)',
    ]);
    expect(points(spec, 0)).toEqual([
      { x: 1, y: 10 },
      { x: 2, y: 5 },
      { x: 3, y: 10 / 3 },
    ]);
    expect(axisTitle(spec, 'x')).toBe('training step');
    expect(axisTitle(spec, 'y')).toBe('nats (log scale)');
    expect(spec.chart.options?.scales?.x?.max).toBe(30);
    expect(spec.chart.options?.plugins?.title).toBeUndefined(); // the screen shows the panel's title
  });

  it("loss: a point method's second term is its weight decay's ½Σw², not a KL", () => {
    const deterministic = { ...run, config: { ...run.config, method: 'deterministic' } } as typeof run;
    expect(datasets(lossFigure(data, deterministic)).map((dataset) => dataset.label)).toEqual([
      'loss = NLL + w·½Σw²',
      'NLL (batch mean)',
      '½Σw² (w = 0.000111 = 1/9000)',
    ]);
  });

  it('loss: a long run is thinned evenly and keeps its last point', () => {
    const long = runDataFromEvents(Array.from({ length: 1001 }, (_, i) => metrics(i + 1)));
    const spec = lossFigure(long, run, { maxPoints: 100 });
    const xs = points(spec, 1).map((point) => point.x);
    expect(xs.length).toBeLessThanOrEqual(101);
    expect(xs[0]).toBe(1);
    expect(xs.at(-1)).toBe(1001);
  });

  it('held-out: nats on the left axis and accuracy in percent on the right, one point per evaluation', () => {
    const spec = heldoutFigure(data, run);
    expect(points(spec, 0)).toEqual([
      { x: 10, y: -0.9 },
      { x: 20, y: -0.5 },
    ]);
    expect(points(spec, 1)).toEqual([
      { x: 10, y: 70 },
      { x: 20, y: 85 },
    ]);
    expect(datasets(spec)[0].label).toBe('held-out nats (T = 2 draws)');
    expect(axisTitle(spec, 'y')).toContain('nats');
    expect(axisTitle(spec, 'accuracy')).toBe('held-out accuracy (%)');
  });

  it('ECE and refusals per evaluation', () => {
    expect(points(eceFigure(data, run), 0)).toEqual([
      { x: 10, y: 0.05 },
      { x: 20, y: 0.05 },
    ]);
    const refusal = refusalFigure(data, run);
    expect(refusal.title).toContain('threshold 0.2');
    expect(points(refusal, 0).map((point) => point.y)).toEqual([40, 40]);
    expect(points(refusal, 1).map((point) => point.y)).toEqual([10, 10]);
  });

  it('reliability: accuracy bars per bin (gaps for empty bins), the diagonal, and the counts', () => {
    const spec = reliabilityFigure(heldout(10, -1, 0.7), run);
    const [bars, diagonal, confidence, counts] = datasets(spec);
    expect(bars.type).toBe('bar');
    expect(bars.data).toEqual([
      { x: 0.25, y: null },
      { x: 0.75, y: 75 },
    ]);
    expect(diagonal.data).toEqual([
      { x: 0, y: 0 },
      { x: 1, y: 100 },
    ]);
    expect(confidence.data).toEqual([{ x: 0.75, y: 80 }]);
    expect(counts.data).toEqual([{ x: 0.75, y: 8 }]);
    expect(axisTitle(spec, 'count')).toContain('images in bin');
    expect(reliabilityFigure(null, run).chart.data.datasets[0].data).toEqual([]);
  });

  it('posterior densities: one normalised curve per layer', () => {
    const spec = posteriorDensityFigure(data.posteriors[1], 'mu', run);
    expect(spec.title).toBe('Posterior means μ per layer at step 20');
    expect(datasets(spec).map((dataset) => dataset.label)).toEqual(['conv1 (156)', 'dense2 (850)']);
    const curve = points(spec, 0);
    expect(curve.map((point) => point.x)).toEqual([-1.125, -0.375, 0.375, 1.125]);
    // A density integrates to one over its bins.
    expect(curve.reduce((sum, point) => sum + (point.y ?? 0) * 0.75, 0)).toBeCloseTo(1, 10);
    expect(axisTitle(posteriorDensityFigure(null, 'sigma', run), 'x')).toContain('σ');
    expect(histogramDensity({ min: 0, max: 1, counts: [0, 0] }).map((point) => point.y)).toEqual([0, 0]);
  });

  it('learned prior parameters over evaluations', () => {
    const spec = priorParametersFigure(data, run);
    expect(datasets(spec).map((dataset) => dataset.label)).toEqual(['pi']);
    expect(points(spec, 0)).toEqual([
      { x: 10, y: 0.2 },
      { x: 20, y: 0.3 },
    ]);
  });

  it('regression: band edges at mean ± 2σ, mean, true function and training data', () => {
    const regression = runDataFromEvents([
      {
        type: 'regression',
        runId: 'r',
        step: 5,
        time: 5,
        grid: [0, 1],
        mean: [1, 2],
        std: [0.5, 1],
        trueY: [0, 0],
        trainX: [0.5],
        trainY: [3],
        stdRatio: 2,
        rmseInside: 1,
        coverageInside: 1,
      },
    ]);
    // The band is a regression's figure: a classification run has none (regressionFigure refuses it).
    expect(() => regressionFigure(regression, run)).toThrow('is for regression runs');
    const spec = regressionFigure(regression, { name: 'sinusoid', config: sinusoidPresets[0].config });
    expect(spec.chart.options?.scales?.x).toMatchObject({ min: -1.5, max: 1.5 });
    expect(points(spec, 0)).toEqual([
      { x: 0, y: 0 },
      { x: 1, y: 0 },
    ]);
    expect(points(spec, 1)).toEqual([
      { x: 0, y: 2 },
      { x: 1, y: 4 },
    ]);
    expect(points(spec, 2)).toEqual([
      { x: 0, y: 1 },
      { x: 1, y: 2 },
    ]);
    expect(points(spec, 4)).toEqual([{ x: 0.5, y: 3 }]);
  });

  it('exports add the title and the caption', () => {
    const spec = heldoutFigure(data, run);
    const config = exportChartConfiguration(spec);
    const title = config.options?.plugins?.title as { display: boolean; text: string[] };
    expect(title.display).toBe(true);
    expect(title.text).toEqual([spec.title]);
    // At a single column's 320 px the title takes two lines rather than running past both edges.
    const narrow = exportChartConfiguration({ ...spec, width: 320, height: 272 }).options?.plugins?.title as {
      text: string[];
    };
    expect(narrow.text.length).toBe(2);
    expect(narrow.text.join(' ')).toBe(spec.title);
    // A caption wider than the chart is wrapped between its " · " parts, never cut.
    const subtitle = config.options?.plugins?.subtitle as { display: boolean; text: string[] };
    expect(subtitle.display).toBe(true);
    expect(subtitle.text.join(' ')).toBe(spec.caption);
    expect(subtitle.text.length).toBeGreaterThan(1);
    expect(config.options?.devicePixelRatio).toBe(EXPORT_PIXEL_RATIO);
    expect(exportChartConfiguration(spec, { density: 3 }).options?.devicePixelRatio).toBe(3);
    expect(spec.caption).toBe(figureCaption(run));
    expect(spec.caption).toContain(
      'synthetic run — LeNet5 on mnist · flipout · N(0, 1²) prior · analytic KL, KL weight 1/N_train',
    );
  });
});

describe('the held-out predictions figure', () => {
  it('draws every panel image with its prediction and marks refusals', () => {
    const spec = predictionsFigure(data.evaluations[1], run);
    expect(spec.kind).toBe('canvas');
    const ctx = recordingContext();
    spec.draw(ctx, spec.width, spec.height);
    expect(ctx.texts.filter((text) => text.startsWith('true '))).toEqual(['true 0', 'true 1']);
    expect(ctx.texts.filter((text) => text === 'noise')).toHaveLength(1);
    expect(ctx.texts.filter((text) => text === 'pred 0')).toHaveLength(3);
    expect(ctx.texts.filter((text) => text === 'refused')).toHaveLength(1);
    expect(ctx.texts).toContain('p(class) of each of T = 2 draws');
    // Three images of 28 lit pixels each, plus backgrounds and bars.
    expect(ctx.rects).toBeGreaterThan(3 * 28);
  });

  it('draws on a Node canvas (@napi-rs/canvas) for a headless export', () => {
    const spec = predictionsFigure(data.evaluations[1], run);
    const { width, height } = canvasExportSize(spec);
    const canvas = createCanvas(width * EXPORT_PIXEL_RATIO, height * EXPORT_PIXEL_RATIO);
    const ctx = canvas.getContext('2d');
    ctx.scale(EXPORT_PIXEL_RATIO, EXPORT_PIXEL_RATIO);
    drawCanvasFigureForExport(spec, ctx);
    const png = canvas.toBuffer('image/png');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(width * EXPORT_PIXEL_RATIO);
  });

  it('has nothing to draw before the first evaluation', () => {
    const ctx = recordingContext();
    const spec = predictionsFigure(null, run);
    spec.draw(ctx, spec.width, spec.height);
    expect(ctx.texts).toEqual([]);
  });
});

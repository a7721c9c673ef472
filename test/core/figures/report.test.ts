/**
 * Reports are pure layouts of figure specs: which figures a run gets and in what order, where each
 * panel goes (inside the page, not overlapping), the header's tables, the metrics CSV, and the
 * comparison report's config diff and metric table. A layout drawn on a Node canvas (the headless
 * renderer) has every panel's title and body.
 */
import { describe, expect, it } from 'vitest';
import { OOD_EVALUATION_FORMAT, oodEvaluationSchema } from '../../../core/contract/ood';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import type { RunEvent } from '../../../core/contract/runEvent';
import { configDiffTable, comparisonReportLayout, metricTable } from '../../../core/figures/comparisonReport';
import { runMetricsCsv } from '../../../core/figures/metricsCsv';
import { oodSummaryTable } from '../../../core/figures/oodReport';
import {
  drawReportPanel,
  layoutReport,
  REPORT_WIDTH,
  ReportLayoutError,
  type Rect,
  type ReportContext,
} from '../../../core/figures/reportLayout';
import { runDataFromEvents } from '../../../core/figures/runData';
import { configRows, finalMetricRows, runReportLayout } from '../../../core/figures/runReport';
import { renderReportPng } from '../../../electron/host/figureRenderer';
import { checkReportImage, decodePng } from '../../integration/reportImage';
import { events, run } from './syntheticRun';

const data = runDataFromEvents(events);
const sinusoidConfig = sinusoidPresets[0].config;
const sinusoidRun = { name: 'sinusoid a', config: { ...sinusoidConfig, seed: 4 } };
const sinusoidEvents: RunEvent[] = [1, 2, 3].map((step) => ({
  type: 'metrics',
  runId: 's',
  step,
  time: step,
  loss: 100 / step,
  nll: 50 / step,
  kl: 50,
  klWeight: 1,
  mse: 2 / step,
}));
const grid = [-1, 0, 1];
sinusoidEvents.push({
  type: 'regression',
  runId: 's',
  step: 3,
  time: 3,
  grid,
  mean: [0, 1, 0],
  std: [2, 0.5, 2],
  trueY: [0, 0, 0],
  trainX: [0],
  trainY: [0.5],
  stdRatio: 4,
  rmseInside: 0.4,
  coverageInside: 1,
});
const sinusoidData = runDataFromEvents(sinusoidEvents);

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

describe('run report layout', () => {
  it('orders a LeNet5 run as the walkthrough: loss, held-out, calibration, refusal, posteriors, predictions', () => {
    const layout = runReportLayout({ ...run, id: 'run-1', totalSteps: 30 }, data);
    expect(layout.panels.map((panel) => panel.spec.id)).toEqual([
      'report-header',
      'loss',
      'heldout',
      'ece',
      'reliability',
      'refusal',
      'posterior-mu',
      'posterior-sigma',
      'prior-parameters',
      'predictions',
    ]);
    expect(layout.fileName).toBe('synthetic-run-report.png');
    expect(layout.width).toBe(REPORT_WIDTH);
  });

  it('gives a sinusoid run its loss and predictive band only', () => {
    expect(runReportLayout(sinusoidRun, sinusoidData).panels.map((panel) => panel.spec.id)).toEqual([
      'report-header',
      'loss',
      'predictive',
    ]);
  });

  it('places panels inside the page without overlaps; pairs share a row', () => {
    const layout = runReportLayout(run, data);
    const rects = layout.panels.flatMap((panel) => [panel.body, ...(panel.titleBand ? [panel.titleBand] : [])]);
    for (const rect of rects) {
      expect(rect.x).toBeGreaterThanOrEqual(0);
      expect(rect.x + rect.width).toBeLessThanOrEqual(layout.width);
      expect(rect.y + rect.height).toBeLessThanOrEqual(layout.height);
    }
    for (let i = 0; i < rects.length; i += 1)
      for (let j = i + 1; j < rects.length; j += 1) expect(overlaps(rects[i], rects[j]), `${i} and ${j}`).toBe(false);
    const byId = Object.fromEntries(layout.panels.map((panel) => [panel.spec.id, panel]));
    expect(byId.ece.body.y).toBe(byId.reliability.body.y);
    expect(byId['posterior-mu'].body.y).toBe(byId['posterior-sigma'].body.y);
  });

  it('appends extra rows (the hook for out-of-distribution figures) after the run’s own', () => {
    const extra = runReportLayout(sinusoidRun, sinusoidData).panels[1].spec;
    const layout = runReportLayout(sinusoidRun, sinusoidData, { extraRows: [[{ ...extra, id: 'ood-verdicts' }]] });
    expect(layout.panels.at(-1)?.spec.id).toBe('ood-verdicts');
  });

  it('lists the configuration and the final metrics in the header', () => {
    expect(configRows(run)).toContainEqual(['estimator', 'flipout']);
    expect(configRows(run)).toContainEqual(['prior.scale', '1']);
    const metrics = finalMetricRows(run, data);
    expect(metrics).toContainEqual(['held-out nats (step 20, T = 2 draws)', '-0.5']);
    expect(metrics).toContainEqual(['held-out accuracy (8 images)', '85.00 %']);
    expect(finalMetricRows(sinusoidRun, sinusoidData)).toContainEqual(['coverage of ±2σ inside', '100 %']);
  });

  it('refuses a chart panel without its image and a row of three', () => {
    const layout = runReportLayout(sinusoidRun, sinusoidData);
    expect(() => drawReportPanel({} as ReportContext, layout.panels[1])).toThrow(ReportLayoutError);
    const spec = layout.panels[1].spec;
    expect(() =>
      layoutReport({
        id: 'x',
        header: layout.panels[0].spec as never,
        rows: [[spec, spec, spec] as never],
        footer: '',
        fileName: 'x.png',
      }),
    ).toThrow('one or two figures, not 3');
  });

  it('draws headless with every panel present', async () => {
    const layout = runReportLayout(run, data);
    const image = await decodePng(await renderReportPng(layout, 2));
    expect(checkReportImage(image, layout, 2)).toEqual([]);
  });
});

describe('metrics CSV', () => {
  it('has a row per step and per evaluation under one header', () => {
    const lines = runMetricsCsv(data, run.config).trim().split('\n');
    expect(lines[0].split(',').slice(0, 3)).toEqual(['kind', 'step', 'loss']);
    expect(lines.filter((line) => line.startsWith('train,'))).toHaveLength(3);
    const evaluations = lines.filter((line) => line.startsWith('heldout,'));
    expect(evaluations).toHaveLength(2);
    const header = lines[0].split(',');
    const cells = evaluations[1].split(',');
    expect(cells[header.indexOf('heldout_accuracy')]).toBe('0.85');
    expect(cells[header.indexOf('loss')]).toBe('');
    expect(runMetricsCsv(sinusoidData, sinusoidRun.config)).toMatch(/\nregression,3,(,)+4,0\.4,1\n$/);
  });
});

describe('comparison report layout', () => {
  const runs = [
    { id: 'a', name: 'sinusoid a', config: sinusoidRun.config, data: sinusoidData },
    { id: 'b', name: 'sinusoid b', config: { ...sinusoidConfig, seed: 5, learningRate: 0.01 }, data: sinusoidData },
  ];

  it('has the config diff, the metric table and the compared curves', () => {
    const diff = configDiffTable(runs);
    expect(diff.rows).toContainEqual(['seed', '4', '5']);
    expect(diff.rows).toContainEqual(['learningRate', '0.03', '0.01']);
    expect(metricTable(runs).rows[0]).toEqual(['loss', '33.3 (step 3)', '33.3 (step 3)']);
    const layout = comparisonReportLayout(runs);
    expect(layout.panels.map((panel) => panel.spec.id)).toEqual([
      'report-header',
      // The methods table and each run's predictive band (methods figures), then the metric overlays.
      'methods-table-regression',
      'compare-predictive-1',
      'compare-predictive-2',
      'compare-loss',
      'compare-nll',
      'compare-kl',
      'compare-mse',
    ]);
    expect(layout.fileName).toBe('sinusoid-a-vs-sinusoid-b-report.png');
  });
});

describe('the OOD part of a run report', () => {
  const histogram = { edges: [0, 0.5, 1], counts: [1, 3] };
  const set = (name: string, count: number) => ({
    name,
    count,
    meanMaxProbability: 0.5,
    refusedAtThreshold: 0.25,
    refusedAtCalibrated: 0.75,
    scores: {
      maxProbability: { auroc: 0.9, fprAt95Tpr: 0.2 },
      predictiveEntropy: { auroc: 0.95, fprAt95Tpr: 0.1 },
      mutualInformation: { auroc: 0.8, fprAt95Tpr: 0.3 },
    },
    histograms: { maxProbability: histogram, predictiveEntropy: histogram, mutualInformation: histogram },
  });
  const evaluation = oodEvaluationSchema.parse({
    format: OOD_EVALUATION_FORMAT,
    runId: 'run-1',
    checkpointStep: 20,
    draws: 2,
    seed: 7,
    createdAt: '2026-01-01T00:00:00.000Z',
    seconds: 1,
    backend: 'cpu',
    threshold: 0.2,
    calibratedThreshold: 0.7,
    acceptFraction: 0.95,
    heldoutAccuracy: 0.9,
    inDistribution: { ...set('Held-out (mnist)', 4), scores: undefined },
    outOfDistribution: [set('Noise: uniform', 4)],
  });

  it('follows the run’s figures: the table of image sets, then the score histograms', () => {
    const layout = runReportLayout(run, data, { ood: evaluation });
    expect(layout.panels.slice(-4).map((panel) => panel.spec.id)).toEqual([
      'ood-summary',
      'ood-histogram-maxProbability',
      'ood-histogram-predictiveEntropy',
      'ood-histogram-mutualInformation',
    ]);
    expect(oodSummaryTable(evaluation).rows).toEqual([
      ['Held-out (mnist)', '4', '0.5', '25.0 %', '75.0 %', '—', '—', '—'],
      ['Noise: uniform', '4', '0.5', '25.0 %', '75.0 %', '0.9', '0.95', '0.8'],
    ]);
  });
});

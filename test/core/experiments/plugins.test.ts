/**
 * Experiments are plug-ins: the cubic toy regression is registered by one line in
 * core/experiments/descriptors.ts and one in trainers.ts, and nothing else names it. These tests
 * look for it where a user meets an experiment — the contract, the run form, the CSV, compare, the
 * report and the CLI — through the generic code only (no test here knows a per-name branch).
 */
import { describe, expect, it } from 'vitest';
import { runConfigSchema } from '../../../core/contract/runConfig';
import type { RunEvent } from '../../../core/contract/runEvent';
import { experimentDescriptors } from '../../../core/experiments/descriptors';
import { descriptorOf, hasFigure, listExperimentInfos, totalStepsOf } from '../../../core/experiments/registry';
import { experimentTrainers } from '../../../core/experiments/trainers';
import { describeSettings } from '../../../core/figures/caption';
import { availableMetrics, comparisonCsv } from '../../../core/figures/comparisonData';
import { metricsCsvColumns, runMetricsCsv } from '../../../core/figures/metricsCsv';
import { runDataFromEvents } from '../../../core/figures/runData';
import { finalMetricRows, runReportLayout } from '../../../core/figures/runReport';
import { configFromValues, fieldsFor, valuesFromConfig } from '../../../renderer/src/forms/runConfigForm';
import { runCli } from '../../fixtures/cliProcess';

const cubic = descriptorOf('cubic');
const config = runConfigSchema.parse({ ...cubic.presets[0].config, epochs: 3, seed: 7 });
const runId = 'cubic-1';

function cubicEvents(): RunEvent[] {
  const events: RunEvent[] = [1, 2, 3].map((step) => ({
    type: 'metrics',
    runId,
    step,
    time: step,
    loss: 90 / step,
    nll: 60 / step,
    kl: 30,
    klWeight: 1,
    mse: 40 / step,
  }));
  events.push({
    type: 'regression',
    runId,
    step: 3,
    time: 3,
    grid: [-6, 0, 6],
    mean: [-200, 0, 200],
    std: [30, 2, 30],
    trueY: [-216, 0, 216],
    trainX: [1],
    trainY: [1.5],
    stdRatio: 15,
    rmseInside: 1.25,
    coverageInside: 0.95,
  });
  return events;
}

describe('experiment plug-ins', () => {
  it('pairs every descriptor with a trainer of the same name, and the contract accepts every preset', () => {
    expect(Object.keys(experimentTrainers).sort()).toEqual(
      experimentDescriptors.map((descriptor) => descriptor.name).sort(),
    );
    for (const descriptor of experimentDescriptors)
      for (const preset of descriptor.presets) expect(runConfigSchema.safeParse(preset.config).success).toBe(true);
  });

  it('offers the third experiment to the run form, with its own fields and presets, round-tripped', () => {
    expect(listExperimentInfos().map((info) => info.name)).toContain('cubic');
    const keys = fieldsFor('cubic').map((field) => field.key);
    expect(keys).toEqual(
      expect.arrayContaining(['epochs', 'samplesPerStep', 'predictiveDraws', 'prior.kind', 'klWeight', 'seed']),
    );
    expect(keys).not.toContain('dataset');
    const result = configFromValues(config, { ...valuesFromConfig(config), epochs: '12' });
    expect(result.issues).toEqual({});
    expect(result.config).toEqual({ ...config, epochs: 12 });
    expect(totalStepsOf(result.config!)).toBe(12);
    expect(() => fieldsFor('no-such-experiment')).toThrow('has no experiment "no-such-experiment"');
  });

  it('writes its metrics to the CSV under the regression columns', () => {
    const csv = runMetricsCsv(runDataFromEvents(cubicEvents()), config).trimEnd().split('\n');
    expect(csv[0]).toBe(metricsCsvColumns(config).join(','));
    expect(csv[0].split(',')).toEqual(expect.arrayContaining(['mse', 'std_ratio', 'rmse_inside', 'coverage_inside']));
    expect(csv.filter((line) => line.startsWith('train,'))).toHaveLength(3);
    expect(csv.at(-1)).toMatch(/^regression,3,(,)+15,1\.25,0\.95$/);
  });

  it('is compared by the metrics of its task kind', () => {
    const data = runDataFromEvents(cubicEvents());
    const runs = [
      { id: 'a', name: 'cubic a', config, data },
      { id: 'b', name: 'cubic b', config: { ...config, seed: 8 }, data },
    ];
    expect(availableMetrics(runs).map((metric) => metric.key)).toEqual(['loss', 'nll', 'kl', 'mse']);
    expect(comparisonCsv(runs).split('\n')[0]).toBe('run_id,run_name,step,loss,nll,kl,mse');
  });

  it('gets the report layout its descriptor lists: loss, then the band on its own axes, and its figures of merit', () => {
    const run = { name: 'cubic a', config };
    const data = runDataFromEvents(cubicEvents());
    const layout = runReportLayout(run, data);
    expect(layout.panels.map((panel) => panel.spec.id)).toEqual(['report-header', 'loss', 'predictive']);
    const band = layout.panels[2].spec;
    expect(band.kind === 'chart' && band.chart.options?.scales?.x).toMatchObject({ min: -6, max: 6 });
    expect(finalMetricRows(run, data)).toContainEqual(['coverage of ±2σ inside', '95 %']);
    expect(describeSettings(config)).toMatch(/^cubic, 100 relu · reparameterization · N\(0, 1²\) prior/);
    expect(hasFigure(config, 'predictive') && !hasFigure(config, 'heldout')).toBe(true);
  });

  it('is a choice of the CLI, whose estimator and prior choices come from the registries', async () => {
    const { code, stdout } = await runCli(['train', '--help']);
    expect(code).toBe(0);
    const help = stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--experiment <name> experiment to train \(sinusoid, lenet5, cubic\)/);
    expect(help).toContain('epochs of a sinusoid, cubic run');
    expect(help).toContain('"reparameterization", "local", "flipout"');
    expect(help).toContain('"normal", "trainableNormal", "scaleMixture"');
  }, 60_000);
});

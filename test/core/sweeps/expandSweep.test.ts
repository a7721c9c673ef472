import { describe, expect, it } from 'vitest';
import { runConfigSchema } from '../../../core/contract/runConfig';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import { createSweepId, drawDistinct, expandSweep, seedGroupKey } from '../../../core/sweeps/expandSweep';
import { parseSweepFile, SweepError, type SweepFileInput } from '../../../core/sweeps/sweepFile';

const base = sinusoidPresets.find((preset) => preset.name === 'default')!.config;

function sweep(overrides: Partial<SweepFileInput> = {}): SweepFileInput {
  return {
    name: 'kl',
    base: { ...base, epochs: 20 },
    axes: { learningRate: [0.01, 0.03], 'prior.scale': [0.5, 1] },
    seeds: [0, 1, 2],
    search: 'grid',
    ...overrides,
  };
}

describe('sweep files', () => {
  it('expands a grid into the cartesian product × seeds, every config valid', () => {
    const expanded = expandSweep(parseSweepFile(sweep()));
    expect(expanded.keys).toEqual(['learningRate', 'prior.scale']);
    expect(expanded.runs).toHaveLength(12);
    for (const run of expanded.runs) {
      expect(runConfigSchema.safeParse(run.config).success).toBe(true);
      expect(run.config.learningRate).toBe(run.axisValues.learningRate);
      expect((run.config.prior as { scale: number }).scale).toBe(run.axisValues['prior.scale']);
      expect(run.config.seed).toBe(run.seed);
      expect((run.config as { epochs: number }).epochs).toBe(20);
    }
    const combos = new Set(
      expanded.runs.map((run) => `${run.config.learningRate}/${(run.config.prior as { scale: number }).scale}`),
    );
    expect(combos).toEqual(new Set(['0.01/0.5', '0.01/1', '0.03/0.5', '0.03/1']));
    // Seed-major: the first four runs are the four combinations at seed 0.
    expect(expanded.runs.slice(0, 4).map((run) => run.seed)).toEqual([0, 0, 0, 0]);
    expect(expanded.runs[0].name).toBe('kl · learningRate=0.01 · prior.scale=0.5 · seed 0');
  });

  it('forms one seed group per combination, holding its three seeds', () => {
    const expanded = expandSweep(parseSweepFile(sweep()));
    expect(expanded.groups).toHaveLength(4);
    for (const group of expanded.groups) {
      expect(group.runIndices.map((index) => expanded.runs[index].seed).sort()).toEqual([0, 1, 2]);
      const keys = new Set(group.runIndices.map((index) => seedGroupKey(expanded.runs[index].config)));
      expect(keys.size).toBe(1);
    }
    // Configurations that differ in more than the seed are in different groups.
    expect(new Set(expanded.groups.map((group) => group.key)).size).toBe(4);
  });

  it('draws a random search deterministically, distinct combinations, from randomSeed', () => {
    const file = sweep({
      axes: { learningRate: [0.001, 0.003, 0.01, 0.03, 0.1], 'prior.scale': [0.25, 0.5, 1, 2] },
      seeds: [0],
      search: 'random',
      count: 6,
      randomSeed: 7,
    });
    const first = expandSweep(parseSweepFile(file));
    const second = expandSweep(parseSweepFile(file));
    expect(first.runs.map((run) => run.axisValues)).toEqual(second.runs.map((run) => run.axisValues));
    expect(first.runs).toHaveLength(6);
    expect(new Set(first.runs.map((run) => JSON.stringify(run.axisValues))).size).toBe(6);
    const other = expandSweep(parseSweepFile({ ...file, randomSeed: 8 }));
    expect(other.runs.map((run) => run.axisValues)).not.toEqual(first.runs.map((run) => run.axisValues));
  });

  it('draws distinct indices covering the range evenly', () => {
    const counts = new Array(10).fill(0);
    for (let seed = 0; seed < 2000; seed += 1) {
      const drawn = drawDistinct(10, 3, seed);
      expect(new Set(drawn).size).toBe(3);
      for (const index of drawn) counts[index] += 1;
    }
    // 600 expected per index; 5 standard deviations (≈ 20.5 each) as the tolerance.
    for (const count of counts) expect(Math.abs(count - 600)).toBeLessThan(110);
    expect(drawDistinct(5, 5, 3)).toEqual([0, 1, 2, 3, 4]);
  });

  it('names an unknown axis key, suggests the nearest and lists what can be swept', () => {
    expect(() => expandSweep(parseSweepFile(sweep({ axes: { 'prior.scal': [1] } })))).toThrow(
      /The axis "prior\.scal" is not a key of the sinusoid configuration\. Did you mean "prior\.scale"\?.*Keys that can be swept: .*learningRate/,
    );
    expect(() => expandSweep(parseSweepFile(sweep({ axes: { batchSize: [32] } })))).toThrow(
      /The axis "batchSize" is not a key of the sinusoid configuration/,
    );
  });

  it('refuses a combination that is not a valid run configuration, naming it', () => {
    expect(() => expandSweep(parseSweepFile(sweep({ axes: { learningRate: [0.01, 20] } })))).toThrow(
      /The combination learningRate = 20 \(seed 0\) is not a valid run configuration: learningRate:/,
    );
  });

  it('refuses bad files with the place of each problem', () => {
    expect(() => parseSweepFile(sweep({ search: 'random' }))).toThrow(/count: a random search needs "count"/);
    expect(() => parseSweepFile(sweep({ axes: { seed: [1, 2] } }))).toThrow(/axes\.seed: seeds are given by "seeds"/);
    expect(() => parseSweepFile(sweep({ seeds: [] }))).toThrow(/seeds: a sweep needs at least one seed/);
    expect(() => parseSweepFile(sweep({ axes: { 'bad key': [1] } }))).toThrow(SweepError);
    expect(() => expandSweep(parseSweepFile(sweep({ base: { experiment: 'sinusoid' } })))).toThrow(
      /The sweep's base is not a valid run configuration: epochs:/,
    );
    expect(() => expandSweep(parseSweepFile(sweep({ axes: { learningRate: [0.01, 0.01] } })))).toThrow(
      /lists the value 0\.01 twice/,
    );
    expect(() =>
      expandSweep(parseSweepFile(sweep({ axes: { learningRate: [0.01, 0.02] }, search: 'random', count: 3 }))),
    ).toThrow(/only 2; lower "count" to at most 2/);
  });

  it('refuses more runs than a sweep may start', () => {
    const values = Array.from({ length: 100 }, (_, index) => 0.001 * (index + 1));
    expect(() =>
      expandSweep(
        parseSweepFile(sweep({ axes: { learningRate: values, 'prior.scale': [0.5, 1, 2] }, seeds: [0, 1, 2, 3] })),
      ),
    ).toThrow(/= 1200 runs; a sweep starts at most 1000/);
  });

  it('sweeps a whole list value and a nested choice', () => {
    const expanded = expandSweep(
      parseSweepFile(sweep({ axes: { hiddenUnits: [[10], [20, 20]], kl: ['analytic', 'monteCarlo'] }, seeds: [4] })),
    );
    expect(expanded.runs.map((run) => (run.config as { hiddenUnits: number[] }).hiddenUnits)).toEqual([
      [10],
      [10],
      [20, 20],
      [20, 20],
    ]);
    expect(expanded.runs.every((run) => run.config.seed === 4)).toBe(true);
  });

  it('makes readable sweep ids', () => {
    expect(createSweepId('KL weight × seeds', new Date(2026, 10, 29, 12, 5, 0), 'x7k2')).toBe(
      'sweep-20261129-120500-kl-weight-seeds-x7k2',
    );
  });
});

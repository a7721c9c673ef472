import { describe, expect, it } from 'vitest';
import { runRecordSchema } from '../../../core/contract/workbenchApi';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import {
  buildColumns,
  filterRuns,
  nameColumnWidth,
  scoreColumnsOf,
  sortRuns,
  tableRows,
  varyingKeys,
  type TableRun,
} from '../../../renderer/src/tables/runTable';

const base = sinusoidPresets.find((preset) => preset.name === 'default')!.config;

function run(
  id: string,
  learningRate: number,
  seed: number,
  stdRatio: number | null,
  extra: Partial<TableRun> = {},
): TableRun {
  return runRecordSchema.parse({
    id,
    name: `run ${id}`,
    config: { ...base, learningRate, seed },
    state: 'completed',
    createdAt: `2026-11-0${id.length}T00:00:00Z`,
    totalSteps: 10,
    ...(stdRatio === null
      ? {}
      : {
          summary: {
            experiment: 'sinusoid',
            preset: 'default',
            seed,
            epochs: 10,
            stepsPerSecond: 5,
            finalLoss: 1,
            finalNll: 1,
            finalKl: 1,
            stdRatio,
            rmseInside: 1,
            coverageInside: 1,
          },
        }),
    ...extra,
  });
}

const runs = [run('a', 0.01, 0, 3), run('bb', 0.03, 0, 5), run('ccc', 0.01, 1, null), run('dddd', 0.03, 1, 4)];

describe('the runs table model', () => {
  it('offers the keys that vary (sweep axes first, seed last) and the scores', () => {
    expect(varyingKeys(runs)).toEqual(['learningRate', 'seed']);
    expect(varyingKeys(runs, ['seed', 'learningRate'])).toEqual(['seed', 'learningRate']);
    // The method has its own column: runs of several methods get no second "method" column.
    const methods = [
      run('m1', 0.01, 0, 3),
      run('m2', 0.01, 0, 3, { config: { ...runs[0].config, method: 'deterministic' } }),
    ];
    expect(methods[1].config.method).toBe('deterministic');
    expect(varyingKeys(methods)).toEqual([]);
    expect(scoreColumnsOf(runs).slice(0, 3)).toEqual(['stdRatio', 'rmseInside', 'coverageInside']);
    expect(scoreColumnsOf(runs)).toContain('finalLoss');
    expect(scoreColumnsOf(runs)).not.toContain('stepsPerSecond');
  });

  it('sorts stably by a score either way, runs without one last', () => {
    const column = buildColumns(['learningRate'], ['stdRatio']).find((candidate) => candidate.id === 'score:stdRatio');
    expect(sortRuns(runs, column, 'desc').map((entry) => entry.id)).toEqual(['bb', 'dddd', 'a', 'ccc']);
    expect(sortRuns(runs, column, 'asc').map((entry) => entry.id)).toEqual(['a', 'dddd', 'bb', 'ccc']);
    const key = buildColumns(['learningRate'], []).find((candidate) => candidate.id === 'config:learningRate');
    expect(sortRuns(runs, key, 'asc').map((entry) => entry.id)).toEqual(['a', 'ccc', 'bb', 'dddd']);
    expect(column?.text(runs[2])).toBe('—');
  });

  it('filters by text, state and tag, and groups by a config key with collapsible headers', () => {
    const tagged = [...runs.slice(0, 3), run('dddd', 0.03, 1, 4, { tags: ['x'], state: 'failed' })];
    expect(filterRuns(tagged, { text: 'run c', state: '', tag: '' }).map((entry) => entry.id)).toEqual(['ccc']);
    expect(filterRuns(tagged, { text: '', state: 'failed', tag: 'x' }).map((entry) => entry.id)).toEqual(['dddd']);
    const rows = tableRows(runs, 'learningRate', new Set());
    expect(rows.map((row) => (row.kind === 'group' ? `[${row.label} ${row.count}]` : row.run.id))).toEqual([
      '[learningRate = 0.01 2]',
      'a',
      'ccc',
      '[learningRate = 0.03 2]',
      'bb',
      'dddd',
    ]);
    const collapsed = tableRows(runs, 'learningRate', new Set(['learningRate = 0.01']));
    expect(collapsed.map((row) => row.key)).toEqual([
      'group:learningRate = 0.01',
      'group:learningRate = 0.03',
      'bb',
      'dddd',
    ]);
  });

  it('makes the name column wide enough for the longest name, within limits', () => {
    expect(nameColumnWidth([run('a', 0.01, 0, 1, { name: 'x'.repeat(60) })])).toBeGreaterThanOrEqual(60 * 7);
    expect(nameColumnWidth([run('a', 0.01, 0, 1, { name: 'short' })])).toBe(220);
    expect(nameColumnWidth([run('a', 0.01, 0, 1, { name: 'y'.repeat(190) })])).toBe(560);
  });
});

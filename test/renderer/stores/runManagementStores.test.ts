/**
 * The stores behind run management and comparison: a live `queued` status with `resumedFromStep`
 * drops the chart points trained after the checkpoint; queued runs know their place; the compare
 * store folds the histories of the checked runs and keeps them current from the stream.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import { lenet5ConfigSchema } from '../../../core/contract/runConfig';
import type { RunEvent } from '../../../core/contract/runEvent';
import type { RunListEntry, RunRecord, WorkbenchApi } from '../../../core/contract/workbenchApi';
import { installWorkbenchHost } from '../../../renderer/src/api';
import { nextColourSlots, useCompareStore } from '../../../renderer/src/stores/compare';
import { useLiveStore } from '../../../renderer/src/stores/live';
import { useRunsStore } from '../../../renderer/src/stores/runs';

const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', steps: 100 });

function record(id: string, state: RunRecord['state'], createdAt: string): RunRecord {
  return { id, name: id, tags: [], config, state, createdAt, step: 0, totalSteps: 100 };
}

function metrics(runId: string, step: number): RunEvent {
  return { type: 'metrics', runId, step, time: step, loss: 1, nll: 1, kl: 1, klWeight: 1 };
}

function host(records: RunListEntry[], histories: Record<string, RunEvent[]>, more: Partial<WorkbenchApi> = {}) {
  let push: (event: RunEvent) => void = () => {};
  const api = {
    listRuns: async () => records,
    getRun: async (id: string) => records.find((candidate) => candidate.id === id)!,
    getRunEvents: async (id: string) => histories[id] ?? [],
    // No run here has an OOD evaluation; the compare store loads one for each run that classifies images.
    getOodEvaluation: async (id: string) => {
      throw new Error(`Run "${id}" has no OOD evaluation.`);
    },
    onRunEvent(listener: (event: RunEvent) => void) {
      push = listener;
      return () => {};
    },
    ...more,
  } as unknown as WorkbenchApi;
  installWorkbenchHost({ api, connection: { status: { state: 'connected' }, onChange: () => () => {} } });
  return { push: (event: RunEvent) => push(event) };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal('document', { hidden: true }); // no frames in Node: the batchers use their timer
  setActivePinia(createPinia());
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('run management in the stores', () => {
  it('keeps damaged run folders apart, with their reasons, and marks a damaged run (issue #14 item 7)', async () => {
    host(
      [
        record('whole', 'completed', '2026-01-02T00:00:00Z'),
        {
          ...record('log-is-a-folder', 'interrupted', '2026-01-01T00:00:00Z'),
          damaged: { reason: 'runs/log-is-a-folder/events.ndjson is a folder, not a file.' },
        },
        { id: 'no-record', damaged: { reason: 'runs/no-record has no run.json.' } },
      ],
      {},
    );
    const runs = useRunsStore();
    await runs.refresh();
    expect(runs.runs.map((run) => [run.id, run.damaged?.reason])).toEqual([
      ['whole', undefined],
      ['log-is-a-folder', 'runs/log-is-a-folder/events.ndjson is a folder, not a file.'],
    ]);
    expect(runs.damagedFolders).toEqual([{ id: 'no-record', damaged: { reason: 'runs/no-record has no run.json.' } }]);
  });

  it('drops live chart points beyond the step a resumed run restarts from', async () => {
    const stream = host([record('run-1', 'interrupted', '2026-01-01T00:00:00Z')], {
      'run-1': [metrics('run-1', 1), metrics('run-1', 2), metrics('run-1', 3), metrics('run-1', 4)],
    });
    const live = useLiveStore();
    useRunsStore().select('run-1');
    await vi.runAllTimersAsync();
    expect(live.series.step).toEqual([1, 2, 3, 4]);

    stream.push({ type: 'status', runId: 'run-1', step: 2, time: 100, state: 'queued', resumedFromStep: 2 });
    await vi.runAllTimersAsync();
    expect(live.series.step).toEqual([1, 2]);
    stream.push(metrics('run-1', 3));
    await vi.runAllTimersAsync();
    expect(live.series.step).toEqual([1, 2, 3]);
  });

  it('numbers queued runs by when they were queued', async () => {
    host(
      [
        record('a', 'running', '2026-01-01T00:00:00Z'),
        record('b', 'queued', '2026-01-01T00:00:02Z'),
        record('c', 'queued', '2026-01-01T00:00:01Z'),
      ],
      {},
    );
    const runs = useRunsStore();
    await runs.refresh();
    expect(runs.queuePositions).toEqual({ c: 1, b: 2 });
    expect(runs.trainingCount).toBe(1);
  });

  it('compares the checked runs: histories folded, live events applied', async () => {
    const stream = host(
      [record('a', 'running', '2026-01-01T00:00:00Z'), record('b', 'completed', '2026-01-01T00:00:01Z')],
      {
        a: [metrics('a', 1)],
        b: [metrics('b', 1), metrics('b', 2)],
      },
    );
    await useRunsStore().refresh();
    const compare = useCompareStore();
    compare.toggle('a');
    compare.toggle('b');
    expect(compare.canCompare).toBe(true);
    compare.open();
    await vi.runAllTimersAsync();
    expect(compare.comparedRuns.map((run) => [run.id, run.data.metrics.step])).toEqual([
      ['a', [1]],
      ['b', [1, 2]],
    ]);
    stream.push(metrics('a', 2));
    await vi.runAllTimersAsync();
    expect(compare.comparedRuns[0].data.metrics.step).toEqual([1, 2]);

    compare.toggle('b', false);
    await nextTick();
    expect(compare.comparedRuns.map((run) => run.id)).toEqual(['a']);
  });
});

describe("the compare store's batch of OOD evaluations", () => {
  it("stops after the current run when asked, keeping that run's result", async () => {
    const records = ['a', 'b', 'c'].map((id) => ({
      ...record(id, 'completed', '2026-01-01T00:00:00Z'),
      checkpointStep: 100,
    }));
    const asked: string[] = [];
    let finish: () => void = () => {};
    const evaluateOod = (id: string) => {
      asked.push(id);
      return new Promise((resolve) => (finish = () => resolve({ runId: id })));
    };
    host(records, { a: [metrics('a', 1)], b: [metrics('b', 1)], c: [metrics('c', 1)] }, {
      evaluateOod,
    } as unknown as Partial<WorkbenchApi>);
    await useRunsStore().refresh();
    const compare = useCompareStore();
    ['a', 'b', 'c'].forEach((id) => compare.toggle(id));
    compare.open();
    await vi.runAllTimersAsync();
    expect(compare.oodMissingIds).toEqual(['a', 'b', 'c']);

    const batch = compare.evaluateMissingOod();
    await vi.runAllTimersAsync();
    expect(compare.evaluatingOodId).toBe('a');
    compare.requestStopAfterCurrent();
    expect(compare.stopAfterCurrent).toBe(true);
    finish();
    await batch;
    // The evaluation under way is stored; the two after it are never asked for.
    expect(asked).toEqual(['a']);
    expect(compare.oodMissingIds).toEqual(['b', 'c']);
    expect(compare.evaluatingOodId).toBeNull();
    expect(compare.stopAfterCurrent).toBe(false);

    // The next batch starts afresh and goes through every run still missing one.
    const next = compare.evaluateMissingOod();
    for (const id of ['b', 'c']) {
      await vi.runAllTimersAsync();
      expect(compare.evaluatingOodId).toBe(id);
      finish();
    }
    await next;
    expect(asked).toEqual(['a', 'b', 'c']);
    expect(compare.oodMissingIds).toEqual([]);
  });
});

describe('colour slots of the compared runs', () => {
  it('keeps each checked run its colour when others are unchecked, and gives a newcomer the lowest free one', async () => {
    expect(nextColourSlots({}, ['a', 'b', 'c'])).toEqual({ a: 0, b: 1, c: 2 });
    expect(nextColourSlots({ a: 0, b: 1, c: 2 }, ['b', 'c'])).toEqual({ b: 1, c: 2 });
    expect(nextColourSlots({ b: 1, c: 2 }, ['b', 'c', 'd', 'e'])).toEqual({ b: 1, c: 2, d: 0, e: 3 });

    const ids = ['a', 'b', 'c', 'd'];
    host(
      ids.map((id) => record(id, 'completed', '2026-01-01T00:00:00Z')),
      Object.fromEntries(ids.map((id) => [id, [metrics(id, 1)]])),
    );
    await useRunsStore().refresh();
    const compare = useCompareStore();
    ['a', 'b', 'c'].forEach((id) => compare.toggle(id));
    compare.open();
    await vi.runAllTimersAsync();
    const slots = () => Object.fromEntries(compare.comparedRuns.map((run) => [run.id, run.colourSlot]));
    expect(slots()).toEqual({ a: 0, b: 1, c: 2 });
    compare.toggle('a', false);
    await vi.runAllTimersAsync();
    expect(slots()).toEqual({ b: 1, c: 2 });
    compare.toggle('d');
    await vi.runAllTimersAsync();
    expect(slots()).toEqual({ b: 1, c: 2, d: 0 });
  });
});

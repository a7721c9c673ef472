/**
 * The live store merges a run's stored history with the events that stream in while that
 * history is being fetched: nothing twice, nothing lost, and a slow reply for a run no longer
 * selected is ignored.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import type { RunEvent } from '../../../core/contract/runEvent';
import type { WorkbenchApi } from '../../../core/contract/workbenchApi';
import { installWorkbenchHost } from '../../../renderer/src/api';
import { useLiveStore } from '../../../renderer/src/stores/live';
import { useRunsStore } from '../../../renderer/src/stores/runs';

function metrics(runId: string, step: number): RunEvent {
  return { type: 'metrics', runId, step, time: step, loss: 10 - step, nll: 5, kl: 5, klWeight: 1 };
}

function regression(runId: string, step: number): RunEvent {
  return {
    type: 'regression',
    runId,
    step,
    time: step,
    grid: [0],
    mean: [0],
    std: [1],
    trueY: [0],
    trainX: [],
    trainY: [],
    stdRatio: 1,
    rmseInside: 1,
    coverageInside: 1,
  };
}

/** A host whose getRunEvents replies only when the test says so. */
function scriptedHost() {
  let push: (event: RunEvent) => void = () => {};
  const historyReplies = new Map<string, (events: RunEvent[]) => void>();
  const api = {
    listRuns: async () => [],
    getRun: async () => {
      throw new Error('not used');
    },
    getRunEvents: (runId: string) => new Promise<RunEvent[]>((resolve) => historyReplies.set(runId, resolve)),
    onRunEvent(listener: (event: RunEvent) => void) {
      push = listener;
      return () => {};
    },
  } as unknown as WorkbenchApi;
  installWorkbenchHost({ api, connection: { status: { state: 'connected' }, onChange: () => () => {} } });
  return {
    push: (event: RunEvent) => push(event),
    replyHistory: (runId: string, events: RunEvent[]) => historyReplies.get(runId)!(events),
  };
}

beforeEach(() => {
  vi.useFakeTimers();
  // No frames in Node: a hidden page makes the batcher use its timer.
  vi.stubGlobal('document', { hidden: true });
  setActivePinia(createPinia());
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('useLiveStore', () => {
  it('applies history, then the events that arrived meanwhile, without duplicates', async () => {
    const host = scriptedHost();
    const live = useLiveStore();
    useRunsStore().select('run-1');
    await nextTick();
    expect(live.loading).toBe(true);

    host.push(metrics('run-1', 3)); // also in the history
    host.push(metrics('run-1', 4));
    host.push(regression('run-1', 4));
    host.push(metrics('run-2', 9)); // another run
    host.replyHistory('run-1', [metrics('run-1', 1), metrics('run-1', 2), metrics('run-1', 3), regression('run-1', 2)]);
    await vi.runAllTimersAsync();

    expect(live.loading).toBe(false);
    expect(live.series.step).toEqual([1, 2, 3, 4]);
    expect(live.regression?.step).toBe(4);
    expect(live.regressionSnapshots).toBe(2);

    host.push(metrics('run-1', 5));
    host.push(metrics('run-1', 6));
    expect(live.series.step).toHaveLength(4); // batched until the next frame
    await vi.runAllTimersAsync();
    expect(live.series.step).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('ignores the history of a run that is no longer selected', async () => {
    const host = scriptedHost();
    const live = useLiveStore();
    const runs = useRunsStore();
    runs.select('run-1');
    await nextTick();
    runs.select('run-2');
    await nextTick();
    host.replyHistory('run-2', [metrics('run-2', 1)]);
    host.replyHistory('run-1', [metrics('run-1', 1), metrics('run-1', 2)]);
    await vi.runAllTimersAsync();
    expect(live.runId).toBe('run-2');
    expect(live.series.step).toEqual([1]);
  });

  it('keeps evaluations apart from metrics, so an evaluation figure is not recomputed per step', async () => {
    const host = scriptedHost();
    const live = useLiveStore();
    useRunsStore().select('run-1');
    await nextTick();
    host.replyHistory('run-1', [metrics('run-1', 1)]);
    await vi.runAllTimersAsync();
    const before = live.evaluations;
    host.push(metrics('run-1', 2));
    await vi.runAllTimersAsync();
    expect(live.evaluations).toBe(before);

    const base = { runId: 'run-1', time: 3 };
    host.push({ ...base, type: 'posterior', step: 3, layers: [], prior: {} });
    await vi.runAllTimersAsync();
    expect(live.posteriors.map((event) => event.step)).toEqual([3]);
    expect(live.evaluationSteps).toEqual([3]);
    expect(live.evaluations).toBe(before);
  });
});

/**
 * The live view of the selected run: its loss series, latest progress, latest status and latest
 * regression snapshot. Selecting a run loads its whole history with getRunEvents, then applies
 * the live events that arrived meanwhile; events are deduplicated by step, so the overlap
 * between history and stream is harmless. UI state is committed once per animation frame.
 */
import { defineStore } from 'pinia';
import { onScopeDispose, ref, shallowRef, watch } from 'vue';
import type { ProgressEvent, RegressionEvent, RunEvent, StatusEvent } from '../../../core/contract/runEvent';
import { getWorkbenchApi } from '../api';
import { createFrameBatcher } from '../util/frameBatcher';
import { useConnectionStore } from './connection';
import { useRunsStore } from './runs';

/** Per-step metrics as parallel arrays: what a line chart consumes without reshaping. */
export interface LossSeries {
  step: number[];
  loss: number[];
  nll: number[];
  kl: number[];
}

interface LiveState {
  series: LossSeries;
  progress: ProgressEvent | null;
  status: StatusEvent | null;
  regression: RegressionEvent | null;
  regressionSnapshots: number;
}

function emptyState(): LiveState {
  return { series: { step: [], loss: [], nll: [], kl: [] }, progress: null, status: null, regression: null, regressionSnapshots: 0 };
}

/** Folds one event into the working state; returns nothing, commits happen per frame. */
function applyEvent(state: LiveState, event: RunEvent): void {
  switch (event.type) {
    case 'metrics': {
      const lastStep = state.series.step.at(-1);
      if (lastStep !== undefined && event.step <= lastStep) return;
      state.series.step.push(event.step);
      state.series.loss.push(event.loss);
      state.series.nll.push(event.nll);
      state.series.kl.push(event.kl);
      return;
    }
    case 'progress':
      if (!state.progress || event.step >= state.progress.step) state.progress = event;
      return;
    case 'regression':
      if (state.regression && event.step <= state.regression.step) return;
      state.regression = event;
      state.regressionSnapshots += 1;
      return;
    case 'status':
      if (!state.status || event.time >= state.status.time) state.status = event;
      return;
  }
}

export const useLiveStore = defineStore('live', () => {
  const api = getWorkbenchApi();
  const runs = useRunsStore();
  const connection = useConnectionStore();

  const runId = ref<string | null>(null);
  const series = shallowRef<LossSeries>(emptyState().series);
  const progress = shallowRef<ProgressEvent | null>(null);
  const status = shallowRef<StatusEvent | null>(null);
  const regression = shallowRef<RegressionEvent | null>(null);
  const regressionSnapshots = ref(0);
  const loading = ref(false);
  const error = ref<string | null>(null);

  let working = emptyState();
  /** Bumped on every selection so a slow history reply for an old run is ignored. */
  let loadGeneration = 0;
  /** Live events of the selected run that arrived while its history was on its way. */
  let heldDuringLoad: RunEvent[] | null = null;

  function commit(): void {
    // A new wrapper around the same arrays: watchers see a change without copying the points.
    series.value = { ...working.series };
    progress.value = working.progress;
    status.value = working.status;
    regression.value = working.regression;
    regressionSnapshots.value = working.regressionSnapshots;
  }

  const batcher = createFrameBatcher<RunEvent>((events) => {
    for (const event of events) applyEvent(working, event);
    commit();
  });

  async function load(id: string | null): Promise<void> {
    const generation = ++loadGeneration;
    batcher.clear();
    working = emptyState();
    runId.value = id;
    error.value = null;
    commit();
    if (id === null) {
      heldDuringLoad = null;
      loading.value = false;
      return;
    }
    heldDuringLoad = [];
    loading.value = true;
    try {
      const history = await api.getRunEvents(id);
      if (generation !== loadGeneration) return;
      for (const event of [...history, ...(heldDuringLoad ?? [])]) applyEvent(working, event);
      commit();
    } catch (caught) {
      if (generation === loadGeneration) error.value = caught instanceof Error ? caught.message : String(caught);
    } finally {
      if (generation === loadGeneration) {
        heldDuringLoad = null;
        loading.value = false;
      }
    }
  }

  const unsubscribe = api.onRunEvent((event) => {
    if (event.runId !== runId.value) return;
    if (heldDuringLoad) heldDuringLoad.push(event);
    else batcher.push(event);
  });
  onScopeDispose(() => {
    unsubscribe();
    batcher.clear();
  });

  watch(() => runs.selectedRunId, (id) => void load(id), { immediate: true });
  // After a reconnection the stream has a gap; the history fills it.
  watch(() => connection.generation, () => void load(runId.value));

  return { runId, series, progress, status, regression, regressionSnapshots, loading, error, reload: () => load(runId.value) };
});

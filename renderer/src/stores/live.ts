/**
 * The live view of the selected run: its events folded into `RunData` (core/figures/runData), the
 * input of every figure. Selecting a run loads its whole history with getRunEvents, then applies
 * the live events that arrived meanwhile; events are deduplicated by step, so the overlap
 * between history and stream is harmless. UI state is committed once per animation frame, and
 * each part only when it changed, so a figure of the evaluations is not recomputed for every
 * training step.
 */
import { defineStore } from 'pinia';
import { computed, nextTick, onScopeDispose, ref, shallowRef, watch } from 'vue';
import type {
  HeldoutEvent,
  PosteriorEvent,
  ProgressEvent,
  RegressionEvent,
  RunEvent,
  StatusEvent,
} from '../../../core/contract/runEvent';
import {
  applyRunEvent,
  emptyRunData,
  evaluationSteps,
  type MetricSeries,
  type RunData,
} from '../../../core/figures/runData';
import { getWorkbenchApi } from '../api';
import { messageOf } from '../api/errorMessage';
import { createFrameBatcher } from '../util/frameBatcher';
import { useConnectionStore } from './connection';
import { useRunsStore } from './runs';

declare global {
  interface Window {
    /**
     * Set by bench/uiStreaming.ts to collect what each frame's flush costs: folding and committing
     * (`flushMs`), and until the charts have redrawn (`renderedMs`). Absent otherwise, so nothing grows.
     */
    __workbenchFlushTimings?: { flushMs: number; renderedMs: number }[];
  }
}

/** Least time between two commits of the stream: charts redraw at most ~5 times a second. */
const liveFlushIntervalMs = 200;

/** Kept for existing imports: the per-step metrics series. */
export type LossSeries = MetricSeries;

export const useLiveStore = defineStore('live', () => {
  const api = getWorkbenchApi();
  const runs = useRunsStore();
  const connection = useConnectionStore();

  const runId = ref<string | null>(null);
  const series = shallowRef<MetricSeries>(emptyRunData().metrics);
  const evaluations = shallowRef<HeldoutEvent[]>([]);
  const posteriors = shallowRef<PosteriorEvent[]>([]);
  const progress = shallowRef<ProgressEvent | null>(null);
  const status = shallowRef<StatusEvent | null>(null);
  const regression = shallowRef<RegressionEvent | null>(null);
  const regressionSnapshots = ref(0);
  const loading = ref(false);
  const error = ref<string | null>(null);

  /** Steps of all evaluations (held-out or posterior), ascending: what the step scrubber moves over. */
  const evaluationStepList = computed(() =>
    evaluationSteps({ evaluations: evaluations.value, posteriors: posteriors.value }),
  );

  let working: RunData = emptyRunData();
  /** Bumped on every selection so a slow history reply for an old run is ignored. */
  let loadGeneration = 0;
  /** Live events of the selected run that arrived while its history was on its way. */
  let heldDuringLoad: RunEvent[] | null = null;
  let committedMetrics = 0;

  function commit(): void {
    // New wrappers around the same arrays: watchers see a change without copying the points.
    // The wrapper shares its arrays with `working`, so its own length cannot tell what was committed.
    if (series.value.step !== working.metrics.step || committedMetrics !== working.metrics.step.length) {
      series.value = { ...working.metrics };
      committedMetrics = working.metrics.step.length;
    }
    if (
      evaluations.value.length !== working.evaluations.length ||
      evaluations.value.at(-1) !== working.evaluations.at(-1)
    )
      evaluations.value = [...working.evaluations];
    if (posteriors.value.length !== working.posteriors.length || posteriors.value.at(-1) !== working.posteriors.at(-1))
      posteriors.value = [...working.posteriors];
    progress.value = working.progress;
    status.value = working.status;
    regression.value = working.regression;
    regressionSnapshots.value = working.regressionSnapshots;
  }

  const batcher = createFrameBatcher<RunEvent>(
    (events) => {
      const started = performance.now();
      let changed = false;
      for (const event of events) changed = applyRunEvent(working, event) || changed;
      if (changed) commit();
      const timings = typeof window === 'undefined' ? undefined : window.__workbenchFlushTimings;
      if (timings) {
        const committed = performance.now();
        // Chart redraws are post-flush watchers: they have run when nextTick resolves.
        void nextTick(() => timings.push({ flushMs: committed - started, renderedMs: performance.now() - started }));
      }
    },
    { minIntervalMs: liveFlushIntervalMs },
  );

  async function load(id: string | null): Promise<void> {
    const generation = ++loadGeneration;
    batcher.clear();
    working = emptyRunData();
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
      for (const event of [...history, ...(heldDuringLoad ?? [])]) applyRunEvent(working, event);
      commit();
    } catch (caught) {
      if (generation === loadGeneration) error.value = messageOf(caught);
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

  watch(
    () => runs.selectedRunId,
    (id) => void load(id),
    { immediate: true },
  );
  // After a reconnection the stream has a gap; the history fills it.
  watch(
    () => connection.generation,
    () => void load(runId.value),
  );

  return {
    runId,
    series,
    evaluations,
    posteriors,
    evaluationSteps: evaluationStepList,
    progress,
    status,
    regression,
    regressionSnapshots,
    loading,
    error,
    reload: () => load(runId.value),
  };
});

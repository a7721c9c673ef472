/**
 * The comparison of runs: which runs are checked in the list, whether the compare view is open,
 * each compared run's events folded into RunData (history first, then the live stream, batched per
 * animation frame like the live store), and the view's settings (smoothing, seed grouping).
 * The figures themselves are pure functions in core/figures/comparison.
 */
import { defineStore } from 'pinia';
import { computed, onScopeDispose, ref, shallowRef, watch } from 'vue';
import type { OodEvaluation } from '../../../core/contract/ood';
import type { PosthocFit } from '../../../core/contract/posthoc';
import type { RunEvent } from '../../../core/contract/runEvent';
import type { RunRecord } from '../../../core/contract/workbenchApi';
import { classifiesImages, posthocBaseOf } from '../../../core/experiments/registry';
import { methods, validateMethodCombination, type MethodId } from '../../../core/methods/index';
import type { ComparisonRun, SeedGrouping } from '../../../core/figures/comparison';
import { applyRunEvent, runDataFromEvents, type RunData } from '../../../core/figures/runData';
import { getWorkbenchApi } from '../api';
import { messageOf } from '../api/errorMessage';
import { createFrameBatcher } from '../util/frameBatcher';
import { useConnectionStore } from './connection';
import { useRunsStore } from './runs';

/** The colour slots of `selected`: the ones in `previous` kept, each newcomer given the lowest free one. */
export function nextColourSlots(
  previous: Readonly<Record<string, number>>,
  selected: readonly string[],
): Record<string, number> {
  const slots: Record<string, number> = {};
  for (const id of selected) if (id in previous) slots[id] = previous[id];
  const taken = new Set(Object.values(slots));
  let free = 0;
  for (const id of selected) {
    if (id in slots) continue;
    while (taken.has(free)) free += 1;
    slots[id] = free;
    taken.add(free);
  }
  return slots;
}

export const useCompareStore = defineStore('compare', () => {
  const api = getWorkbenchApi();
  const runsStore = useRunsStore();
  const connection = useConnectionStore();

  /** Checked runs, in the order they were checked. */
  const selectedIds = ref<string[]>([]);
  /**
   * Each checked run's series colour (a palette index), kept while it stays checked: a newly checked
   * run takes the lowest index no other checked run has, so unchecking one run, or another run's
   * history arriving first, repaints no other.
   */
  const colourSlots = ref<Record<string, number>>({});
  watch(selectedIds, (ids) => (colourSlots.value = nextColourSlots(colourSlots.value, ids)), {
    flush: 'sync',
    deep: true,
    immediate: true,
  });
  const showing = ref(false);
  /** Folded events of the runs whose history has arrived. */
  const dataById = shallowRef<Record<string, RunData>>({});
  /** Stored OOD evaluations (ood.json) of the compared runs that classify images, for the methods table. */
  const oodById = shallowRef<Record<string, OodEvaluation | null>>({});
  /** Post-hoc fits stored with the compared runs (temperature scaling, Laplace), each a row of the methods table. */
  const posthocById = shallowRef<Record<string, readonly PosthocFit[]>>({});
  /** Why a stored post-hoc fit was left out (corrupt, too large), per run. */
  const posthocProblems = ref<string[]>([]);
  const loadingIds = ref<string[]>([]);
  const error = ref<string | null>(null);
  /** EMA weight β of the curves (0: raw). */
  const smoothing = ref(0);
  const grouping = ref<SeedGrouping>('none');

  /** Live events of runs whose history is on its way; applied after it. */
  const heldDuringLoad = new Map<string, RunEvent[]>();
  /** Bumped when the loaded data is thrown away, so late replies are ignored. */
  let loadGeneration = 0;

  const comparedRuns = computed<ComparisonRun[]>(() =>
    selectedIds.value.flatMap((id) => {
      const record = runsStore.runs.find((run) => run.id === id);
      const data = dataById.value[id];
      return record && data
        ? [
            {
              id,
              name: record.name,
              config: record.config,
              tags: record.tags,
              backend: record.backend,
              data,
              summary: record.summary,
              ood: oodById.value[id] ?? null,
              posthoc: posthocById.value[id] ?? [],
              colourSlot: colourSlots.value[id],
            },
          ]
        : [];
    }),
  );
  const canCompare = computed(() => selectedIds.value.length >= 2);
  const loading = computed(() => loadingIds.value.length > 0);

  function isSelected(id: string): boolean {
    return selectedIds.value.includes(id);
  }

  function toggle(id: string, checked = !isSelected(id)): void {
    if (checked && !isSelected(id)) selectedIds.value = [...selectedIds.value, id];
    if (!checked) selectedIds.value = selectedIds.value.filter((candidate) => candidate !== id);
  }

  function setSelection(ids: string[]): void {
    selectedIds.value = [...new Set(ids)];
  }

  /** A seed group: every run carrying `tag`. */
  function selectTag(tag: string): void {
    setSelection(runsStore.runs.filter((run) => run.tags.includes(tag)).map((run) => run.id));
  }

  function clear(): void {
    selectedIds.value = [];
  }

  /** The compared image classifiers with a checkpoint for which `also` holds. */
  const checkpointedClassifiers = (also: (record: RunRecord) => boolean) =>
    selectedIds.value.filter((id) => {
      const record = runsStore.runs.find((run) => run.id === id);
      return (
        record !== undefined && classifiesImages(record.config) && record.checkpointStep !== undefined && also(record)
      );
    });

  /** The compared runs a deep ensemble can be combined from: deterministic classification runs with a checkpoint. */
  const combinableIds = computed(() => checkpointedClassifiers((record) => record.config.method === 'deterministic'));
  const combining = ref(false);

  /**
   * Per post-hoc method of the registry (temperature scaling, last-layer Laplace): the compared runs
   * it can be fitted to — the registry's capabilities allow it for the run's method, task kind and held-out validation split,
   * the run has a checkpoint — and that have no fit of it yet.
   */
  const posthocCandidates = computed(() =>
    Object.values(methods)
      .filter((method) => method.capabilities.postHoc)
      .map((method) => ({
        method: method.id,
        // Mid-sentence on the button ("Fit temperature scaling").
        label: `${method.label.charAt(0).toLowerCase()}${method.label.slice(1)}`,
        runIds: selectedIds.value.filter((id) => {
          const record = runsStore.runs.find((run) => run.id === id);
          if (!record || record.checkpointStep === undefined || !(id in dataById.value)) return false;
          if ((posthocById.value[id] ?? []).some((fit) => fit.method === method.id)) return false;
          return validateMethodCombination({ method: method.id, ...posthocBaseOf(record.config) }).ok;
        }),
      })),
  );
  /** The post-hoc method being fitted, and to which run, or null. */
  const fittingPosthoc = ref<{ method: MethodId; runId: string } | null>(null);

  /**
   * Fits a post-hoc method to every candidate run, one after the other, on the host (stored with
   * each run); each fit becomes a row of the methods table as it arrives. A run the host refuses is
   * named in the error; the others are still fitted.
   */
  async function fitPosthoc(method: MethodId): Promise<void> {
    const runIds = posthocCandidates.value.find((candidate) => candidate.method === method)?.runIds ?? [];
    await eachRun(runIds, methods[method].label, async (runId) => {
      fittingPosthoc.value = { method, runId };
      const fit = await api.fitPosthoc(runId, method);
      const others = (posthocById.value[runId] ?? []).filter((candidate) => candidate.method !== method);
      posthocById.value = { ...posthocById.value, [runId]: [...others, fit] };
    });
    fittingPosthoc.value = null;
  }

  /**
   * The compared runs the OOD columns are empty for: image classifiers with a checkpoint, loaded,
   * with no stored OOD evaluation (ood.json).
   */
  const oodMissingIds = computed(() =>
    checkpointedClassifiers((record) => record.id in dataById.value && !oodById.value[record.id]),
  );
  /** The run whose OOD evaluation runs now, or null. */
  const evaluatingOodId = ref<string | null>(null);

  /** Evaluates OOD (the run view's "Evaluate OOD", stored with each run) for every run missing one, in turn. */
  async function evaluateMissingOod(): Promise<void> {
    await eachRun(oodMissingIds.value, 'OOD evaluation', async (runId) => {
      evaluatingOodId.value = runId;
      const evaluation = await api.evaluateOod(runId);
      oodById.value = { ...oodById.value, [runId]: evaluation };
    });
    evaluatingOodId.value = null;
  }

  /** Set by "Stop after this run": the loop of fits or OOD evaluations ends once the current run's is stored. */
  const stopAfterCurrent = ref(false);
  function requestStopAfterCurrent(): void {
    stopAfterCurrent.value = true;
  }

  /**
   * Runs `action` on each run, one after the other (each asks the host's worker); a run the host
   * refuses is named in the error line, the others still go through. A stop request ends the loop
   * before the next run (the current one's request is not taken back: its result is stored).
   */
  async function eachRun(runIds: readonly string[], what: string, action: (runId: string) => Promise<void>) {
    error.value = null;
    stopAfterCurrent.value = false;
    const problems: string[] = [];
    for (const runId of runIds) {
      if (stopAfterCurrent.value) break;
      try {
        await action(runId);
      } catch (caught) {
        const name = runsStore.runs.find((run) => run.id === runId)?.name ?? runId;
        problems.push(`${what} of "${name}": ${messageOf(caught)}`);
      }
    }
    stopAfterCurrent.value = false;
    if (problems.length > 0) error.value = problems.join(' ');
  }

  /**
   * Combines the compared deterministic runs into a deep ensemble (a new run, scored on their
   * held-out set by the host) and adds it to the comparison; the host's refusal is shown as the error.
   */
  async function combineIntoEnsemble(): Promise<RunRecord | null> {
    combining.value = true;
    error.value = null;
    try {
      const record = await api.combineRunsIntoEnsemble(combinableIds.value);
      await runsStore.refreshRun(record.id);
      selectedIds.value = [...selectedIds.value, record.id];
      return record;
    } catch (caught) {
      error.value = messageOf(caught);
      return null;
    } finally {
      combining.value = false;
    }
  }

  function open(): void {
    showing.value = true;
    void loadMissing();
  }

  function close(): void {
    showing.value = false;
  }

  async function loadOne(id: string, generation: number): Promise<void> {
    heldDuringLoad.set(id, []);
    loadingIds.value = [...loadingIds.value, id];
    try {
      const record = runsStore.runs.find((run) => run.id === id);
      const [history, ood, posthoc] = await Promise.all([
        api.getRunEvents(id),
        // No OOD evaluation yet (or none possible) leaves the OOD columns empty: never an error here.
        record && classifiesImages(record.config) ? api.getOodEvaluation(id).catch(() => null) : null,
        // No fits (or a host without them) means no post-hoc rows; a fit left out is said beside the table.
        (async () => api.getPosthocFits(id))().catch(() => ({ fits: [], problems: [] })),
      ]);
      if (generation !== loadGeneration) return;
      oodById.value = { ...oodById.value, [id]: ood };
      posthocById.value = { ...posthocById.value, [id]: posthoc.fits };
      posthocProblems.value = [
        ...posthocProblems.value.filter((problem) => !problem.includes(`runs/${id}/`)),
        ...posthoc.problems,
      ];
      const data = runDataFromEvents([...history, ...(heldDuringLoad.get(id) ?? [])]);
      dataById.value = { ...dataById.value, [id]: data };
    } catch (caught) {
      if (generation === loadGeneration) error.value = `Run "${id}": ${messageOf(caught)}`;
    } finally {
      heldDuringLoad.delete(id);
      loadingIds.value = loadingIds.value.filter((candidate) => candidate !== id);
    }
  }

  /** Fetches the history of checked runs not loaded yet (only while the view is open). */
  async function loadMissing(): Promise<void> {
    if (!showing.value) return;
    error.value = null;
    const generation = loadGeneration;
    const missing = selectedIds.value.filter((id) => !(id in dataById.value) && !heldDuringLoad.has(id));
    await Promise.all(missing.map((id) => loadOne(id, generation)));
  }

  function forgetAll(): void {
    loadGeneration += 1;
    heldDuringLoad.clear();
    loadingIds.value = [];
    dataById.value = {};
    oodById.value = {};
    posthocById.value = {};
    posthocProblems.value = [];
    batcher.clear();
  }

  const batcher = createFrameBatcher<RunEvent>(
    (events) => {
      const current = dataById.value;
      let changed = false;
      for (const event of events) {
        const data = current[event.runId];
        if (data) changed = applyRunEvent(data, event) || changed;
      }
      // A new wrapper around the same RunData objects: the figures recompute, nothing is copied.
      if (changed) dataById.value = { ...current };
    },
    { minIntervalMs: 250 },
  ); // many charts redraw per commit here: fewer commits than the live view

  const unsubscribe = api.onRunEvent((event) => {
    const held = heldDuringLoad.get(event.runId);
    if (held) held.push(event);
    else if (event.runId in dataById.value) batcher.push(event);
  });
  onScopeDispose(() => {
    unsubscribe();
    batcher.clear();
  });

  watch(selectedIds, () => {
    // Unchecked runs are dropped, so a run checked again later is fetched fresh.
    const kept = Object.fromEntries(Object.entries(dataById.value).filter(([id]) => selectedIds.value.includes(id)));
    if (Object.keys(kept).length !== Object.keys(dataById.value).length) dataById.value = kept;
    void loadMissing();
  });
  // Deleted runs leave the comparison.
  watch(
    () => runsStore.runs,
    (runs) => {
      const existing = selectedIds.value.filter((id) => runs.some((run) => run.id === id));
      if (existing.length !== selectedIds.value.length && !runsStore.loading) selectedIds.value = existing;
    },
  );
  // After a reconnection the stream has a gap: fetch every history again.
  watch(
    () => connection.generation,
    () => {
      forgetAll();
      void loadMissing();
    },
  );

  return {
    selectedIds,
    showing,
    dataById,
    comparedRuns,
    canCompare,
    loading,
    error,
    smoothing,
    grouping,
    isSelected,
    toggle,
    setSelection,
    selectTag,
    clear,
    open,
    close,
    combinableIds,
    combining,
    combineIntoEnsemble,
    posthocProblems,
    posthocCandidates,
    fittingPosthoc,
    fitPosthoc,
    oodMissingIds,
    evaluatingOodId,
    evaluateMissingOod,
    stopAfterCurrent,
    requestStopAfterCurrent,
  };
});

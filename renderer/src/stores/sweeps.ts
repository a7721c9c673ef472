/**
 * Sweeps: the recorded ones (their definitions, runs and seed groups), which one the sweep view
 * shows, and starting one from the form. Progress is not kept here: the sweep view derives it from
 * the runs store, whose records the live stream keeps current (core/sweeps/sweepProgress).
 */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { SweepFileInput, SweepRecord } from '../../../core/contract/sweep';
import { getWorkbenchApi } from '../api';
import { messageOf } from '../api/errorMessage';
import { useConnectionStore } from './connection';
import { useRunsStore } from './runs';

export const useSweepsStore = defineStore('sweeps', () => {
  const api = getWorkbenchApi();
  const runsStore = useRunsStore();
  const sweeps = ref<SweepRecord[]>([]);
  const openSweepId = ref<string | null>(null);
  const starting = ref(false);
  const error = ref<string | null>(null);

  const openSweep = computed(() => sweeps.value.find((sweep) => sweep.id === openSweepId.value) ?? null);

  async function refresh(): Promise<void> {
    try {
      sweeps.value = (await api.listSweeps()).map((status) => status.sweep);
      error.value = null;
    } catch (caught) {
      error.value = messageOf(caught);
    }
  }

  function upsert(sweep: SweepRecord): void {
    sweeps.value = [sweep, ...sweeps.value.filter((candidate) => candidate.id !== sweep.id)];
  }

  /** Shows the sweep view of `id` (null: back to the run view). */
  function open(id: string | null): void {
    openSweepId.value = id;
    if (id && !sweeps.value.some((sweep) => sweep.id === id))
      void api
        .getSweep(id)
        .then((status) => upsert(status.sweep))
        .catch((caught: unknown) => (error.value = messageOf(caught)));
  }

  /** Starts a sweep and opens its view; resolves with its record, or null when the host refused (error says why). */
  async function start(file: SweepFileInput): Promise<SweepRecord | null> {
    starting.value = true;
    try {
      const status = await api.startSweep(file);
      upsert(status.sweep);
      await runsStore.refresh();
      runsStore.select(null);
      open(status.sweep.id);
      error.value = null;
      return status.sweep;
    } catch (caught) {
      error.value = messageOf(caught);
      return null;
    } finally {
      starting.value = false;
    }
  }

  const connection = useConnectionStore();
  watch(
    () => connection.generation,
    () => void refresh(),
  );

  return { sweeps, openSweepId, openSweep, starting, error, refresh, open, start };
});

/**
 * Dataset-shift evaluations (runs/<id>/shift.json) of the runs the dashboard and compare show: loaded
 * once per run, computed on request with the host's progress polled for the progress bar.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ShiftEvaluation, ShiftProgress } from '../../../core/contract/shift';
import { getWorkbenchApi } from '../api';
import { messageOf } from '../api/errorMessage';

/** How often the progress of an evaluation in progress is asked for. */
const PROGRESS_POLL_MS = 1000;

export const useShiftStore = defineStore('shift', () => {
  const api = getWorkbenchApi();
  /** By run id; null: the run has none stored. A new Map on every change, so views follow. */
  const evaluations = shallowRef(new Map<string, ShiftEvaluation | null>());
  const progress = shallowRef(new Map<string, ShiftProgress | null>());
  const evaluating = ref(new Set<string>());
  const errors = ref(new Map<string, string>());
  /**
   * Whether shift curves (the Shift panel, compare, and the reports exported from them) carry the
   * published reference lines of core/shift/referenceCurves.ts. Off by default: they are another
   * protocol's numbers (full MNIST, unshifted).
   */
  const showReferences = ref(false);

  function setEvaluation(id: string, evaluation: ShiftEvaluation | null): void {
    evaluations.value = new Map(evaluations.value).set(id, evaluation);
  }

  /** Loads the run's stored evaluation unless it is known already. */
  async function load(id: string): Promise<ShiftEvaluation | null> {
    if (evaluations.value.has(id)) return evaluations.value.get(id) ?? null;
    try {
      const stored = await api.getShiftEvaluation(id);
      setEvaluation(id, stored);
      return stored;
    } catch (caught) {
      errors.value = new Map(errors.value).set(id, messageOf(caught));
      return null;
    }
  }

  async function evaluate(id: string): Promise<void> {
    if (evaluating.value.has(id)) return;
    evaluating.value = new Set(evaluating.value).add(id);
    const withoutError = new Map(errors.value);
    withoutError.delete(id);
    errors.value = withoutError;
    const poll = setInterval(() => {
      void api
        .getShiftProgress(id)
        .then((current) => {
          progress.value = new Map(progress.value).set(id, current);
        })
        .catch(() => undefined); // a missed poll only delays the bar
    }, PROGRESS_POLL_MS);
    try {
      setEvaluation(id, await api.evaluateShift(id));
    } catch (caught) {
      errors.value = new Map(errors.value).set(id, messageOf(caught));
    } finally {
      clearInterval(poll);
      const done = new Set(evaluating.value);
      done.delete(id);
      evaluating.value = done;
      const cleared = new Map(progress.value);
      cleared.delete(id);
      progress.value = cleared;
    }
  }

  return { evaluations, progress, evaluating, errors, showReferences, load, evaluate };
});

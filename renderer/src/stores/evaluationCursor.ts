/**
 * Which evaluation of the selected run the posterior and prediction figures show. Null follows
 * the latest one, so a live run keeps updating until the user scrubs back; scrubbing to the last
 * evaluation follows again. Selecting another run returns to following.
 */
import { defineStore, storeToRefs } from 'pinia';
import { computed, ref, watch } from 'vue';
import { useLiveStore } from './live';

export const useEvaluationCursorStore = defineStore('evaluationCursor', () => {
  const { runId, evaluationSteps } = storeToRefs(useLiveStore());
  /** The chosen evaluation's step; null: the latest. */
  const pinnedStep = ref<number | null>(null);

  const followsLatest = computed(() => pinnedStep.value === null);
  const selectedIndex = computed(() => {
    const steps = evaluationSteps.value;
    if (steps.length === 0) return -1;
    if (pinnedStep.value === null) return steps.length - 1;
    const index = steps.indexOf(pinnedStep.value);
    return index === -1 ? steps.length - 1 : index;
  });
  /** The step the figures show, or null before the first evaluation. */
  const selectedStep = computed(() => (selectedIndex.value === -1 ? null : evaluationSteps.value[selectedIndex.value]));

  function selectIndex(index: number): void {
    const steps = evaluationSteps.value;
    pinnedStep.value = index >= steps.length - 1 ? null : steps[Math.max(0, index)];
  }

  function followLatest(): void {
    pinnedStep.value = null;
  }

  watch(runId, followLatest);

  return { pinnedStep, followsLatest, selectedIndex, selectedStep, selectIndex, followLatest };
});

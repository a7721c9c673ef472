/** The experiments the host offers and their presets, loaded once per connection. */
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { ExperimentInfo } from '../../../core/contract/workbenchApi';
import { getWorkbenchApi } from '../api';
import { messageOf } from '../api/errorMessage';
import { useConnectionStore } from './connection';

export const useExperimentsStore = defineStore('experiments', () => {
  const experiments = ref<ExperimentInfo[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    loading.value = true;
    try {
      experiments.value = await getWorkbenchApi().listExperiments();
      error.value = null;
    } catch (caught) {
      error.value = messageOf(caught);
    } finally {
      loading.value = false;
    }
  }

  // The host may have been restarted with other experiments while the socket was down.
  const connection = useConnectionStore();
  watch(
    () => connection.generation,
    () => void load(),
  );

  return { experiments, loading, error, load };
});

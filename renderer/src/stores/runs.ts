/**
 * Every run the host knows, newest first, and which one is selected. Status events patch the
 * record at once (so badges change without a round trip) and then fetch it again for what only
 * the host knows (summary, finish time). A fetched record can lag behind the stream (run.json is
 * written after the final status event goes out), so the newest status event of a run always
 * wins over the state of a fetched record.
 */
import { defineStore } from 'pinia';
import { computed, onScopeDispose, ref, watch } from 'vue';
import type { RunDamage, RunListEntry, RunRecord, StartRunArgs } from '../../../core/contract/workbenchApi';
import type { StatusEvent } from '../../../core/contract/runEvent';
import { getWorkbenchApi } from '../api';
import { messageOf } from '../api/errorMessage';
import { useConnectionStore } from './connection';

function newestFirst(a: RunRecord, b: RunRecord): number {
  return b.createdAt.localeCompare(a.createdAt);
}

/** A listed run; `damaged` when a file of its folder cannot be used (the host says why). */
export type ListedRun = RunRecord & { damaged?: RunDamage };
/** A run folder whose run.json cannot be read: only its id and the reason. */
export interface DamagedFolder {
  id: string;
  damaged: RunDamage;
}

function isRecord(entry: RunListEntry): entry is ListedRun {
  return 'config' in entry;
}

export const useRunsStore = defineStore('runs', () => {
  const api = getWorkbenchApi();
  const runs = ref<ListedRun[]>([]);
  /** Folders in the runs folder that are not usable runs (listed with the reason, never hidden). */
  const damagedFolders = ref<DamagedFolder[]>([]);
  const selectedRunId = ref<string | null>(null);
  const loading = ref(false);
  const starting = ref(false);
  const error = ref<string | null>(null);

  /** The newest status event of each run seen on the stream since the last full reload. */
  const latestStatus = new Map<string, StatusEvent>();

  const selectedRun = computed(() => runs.value.find((run) => run.id === selectedRunId.value) ?? null);

  /** When each run last entered the queue (its `queued` status), so queued runs can show their place. */
  const queuedAt = ref<Record<string, number>>({});
  /**
   * 1-based place of each queued run: the host's queue is first in, first out, so queued runs are
   * ordered by when they were queued (a run queued before this page opened: by its creation).
   */
  const queuePositions = computed(() => {
    const queued = runs.value.filter((run) => run.state === 'queued');
    const time = (run: RunRecord) => queuedAt.value[run.id] ?? Date.parse(run.createdAt);
    queued.sort((a, b) => time(a) - time(b));
    return Object.fromEntries(queued.map((run, index) => [run.id, index + 1])) as Record<string, number>;
  });
  /** Runs holding a worker (training or paused): what every queued run waits behind. */
  const trainingCount = computed(
    () => runs.value.filter((run) => run.state === 'running' || run.state === 'paused').length,
  );

  function withLatestStatus<R extends RunRecord>(record: R): R {
    const status = latestStatus.get(record.id);
    if (!status) return record;
    return {
      ...record,
      state: status.state,
      step: Math.max(record.step, status.step),
      message: status.message ?? record.message,
      backend: status.backend ?? record.backend,
    };
  }

  function upsert(fetched: RunRecord): void {
    const record = withLatestStatus(fetched);
    const index = runs.value.findIndex((run) => run.id === record.id);
    if (index === -1) runs.value = [record, ...runs.value].sort(newestFirst);
    else runs.value.splice(index, 1, record);
  }

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      const entries = await api.listRuns();
      runs.value = entries.filter(isRecord).map(withLatestStatus).sort(newestFirst);
      damagedFolders.value = entries.filter((entry): entry is DamagedFolder => !isRecord(entry));
      error.value = null;
    } catch (caught) {
      error.value = messageOf(caught);
    } finally {
      loading.value = false;
    }
  }

  async function refreshRun(runId: string): Promise<void> {
    try {
      upsert(await api.getRun(runId));
    } catch (caught) {
      error.value = messageOf(caught);
    }
  }

  function select(runId: string | null): void {
    selectedRunId.value = runId;
  }

  /** Starts a run and selects it; resolves with the new record, or null when the host refused. */
  async function start(args: StartRunArgs): Promise<RunRecord | null> {
    starting.value = true;
    try {
      const record = await api.startRun(args);
      upsert(record);
      select(record.id);
      error.value = null;
      return record;
    } catch (caught) {
      error.value = messageOf(caught);
      return null;
    } finally {
      starting.value = false;
    }
  }

  async function stop(runId: string): Promise<void> {
    try {
      await api.stopRun(runId);
    } catch (caught) {
      error.value = messageOf(caught);
    }
  }

  async function pause(runId: string): Promise<void> {
    try {
      await api.pauseRun(runId);
    } catch (caught) {
      error.value = messageOf(caught);
    }
  }

  /** Lets a paused run go on, or queues a finished one again from its checkpoint. */
  async function resume(runId: string): Promise<void> {
    try {
      upsert(await api.resumeRun(runId));
      error.value = null;
    } catch (caught) {
      error.value = messageOf(caught);
    }
  }

  /** Deletes a finished run's folder; resolves with whether the host did. */
  async function remove(runId: string): Promise<boolean> {
    try {
      await api.deleteRun(runId);
      runs.value = runs.value.filter((run) => run.id !== runId);
      latestStatus.delete(runId);
      if (selectedRunId.value === runId) select(null);
      error.value = null;
      return true;
    } catch (caught) {
      error.value = messageOf(caught);
      return false;
    }
  }

  async function rename(runId: string, name: string): Promise<boolean> {
    try {
      upsert(await api.renameRun(runId, name));
      error.value = null;
      return true;
    } catch (caught) {
      error.value = messageOf(caught);
      return false;
    }
  }

  /** Replaces a run's tags (e.g. the group of a seed repeat); resolves with whether the host accepted them. */
  async function setTags(runId: string, tags: string[]): Promise<boolean> {
    try {
      upsert(await api.setRunTags(runId, tags));
      return true;
    } catch (caught) {
      error.value = messageOf(caught);
      return false;
    }
  }

  function applyStatus(event: StatusEvent): void {
    if (event.state === 'queued') queuedAt.value = { ...queuedAt.value, [event.runId]: event.time };
    const previous = latestStatus.get(event.runId);
    if (!previous || event.time >= previous.time) latestStatus.set(event.runId, event);
    const record = runs.value.find((run) => run.id === event.runId);
    if (!record) {
      // A run started elsewhere (another window, the CLI on the same runs folder).
      void refreshRun(event.runId);
      return;
    }
    Object.assign(record, withLatestStatus(record));
    void refreshRun(event.runId);
  }

  const unsubscribe = api.onRunEvent((event) => {
    if (event.type === 'status') applyStatus(event);
  });
  onScopeDispose(unsubscribe);

  // Status changes made while the socket was down were missed: reload the whole list.
  const connection = useConnectionStore();
  watch(
    () => connection.generation,
    () => {
      latestStatus.clear();
      void refresh();
    },
  );

  return {
    runs,
    damagedFolders,
    selectedRunId,
    selectedRun,
    queuePositions,
    trainingCount,
    loading,
    starting,
    error,
    refresh,
    refreshRun,
    select,
    start,
    stop,
    pause,
    resume,
    remove,
    rename,
    setTags,
  };
});

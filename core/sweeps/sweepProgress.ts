/**
 * A sweep's progress, derived from its runs' records (never stored, so a restarted host or a
 * reopened runs folder tells the same story): each run queued, running, done or failed.
 */
import type { RunState } from '../contract/runEvent';
import type { SweepRecord, SweepRunProgress, SweepRunStatus, SweepStatus } from '../contract/sweep';

/** What the progress needs of a run's record. */
export interface SweepRunRecord {
  id: string;
  state: RunState;
  step: number;
  totalSteps: number;
  message?: string;
}

export function progressOfState(state: RunState | 'missing'): SweepRunProgress {
  switch (state) {
    case 'queued':
      return 'queued';
    case 'running':
    case 'paused':
      return 'running';
    case 'completed':
      return 'done';
    default:
      return 'failed';
  }
}

/** `records`: the runs' records by id (a run without one is `missing`: deleted, or its folder unreadable). */
export function sweepStatus(sweep: SweepRecord, records: ReadonlyMap<string, SweepRunRecord>): SweepStatus {
  const runs: SweepRunStatus[] = sweep.runIds.map((id) => {
    const record = records.get(id);
    if (!record)
      return { id, state: 'missing', progress: 'failed', step: 0, totalSteps: 0, message: 'The run folder is gone.' };
    return {
      id,
      state: record.state,
      progress: progressOfState(record.state),
      step: record.step,
      totalSteps: record.totalSteps,
      ...(record.message ? { message: record.message } : {}),
    };
  });
  const counts = { queued: 0, running: 0, done: 0, failed: 0 };
  for (const run of runs) counts[run.progress] += 1;
  return { sweep, runs, counts, finished: counts.queued + counts.running === 0 };
}

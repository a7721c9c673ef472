/**
 * The names the host and the queue workers share in Redis: one BullMQ queue, and per run a
 * stream (events back), a control key (stop / pause / resume, announced on one channel), an
 * attempt counter and the host's newest stored checkpoint.
 */
export const DEFAULT_QUEUE_NAME = 'bayesian-workbench-runs';
/** The consumer group (and its one consumer) through which the host reads every run's stream. */
export const HOST_GROUP = 'workbench-host';
export const HOST_CONSUMER = 'host';
/** Workers listen here for "the control key of run X changed". */
export const CONTROL_CHANNEL = 'bw:control';

export type ControlCommand = 'stop' | 'pause' | 'resume';

export function runKeys(runId: string): { stream: string; control: string; attempt: string; checkpoint: string } {
  return {
    stream: `bw:run:${runId}:events`,
    control: `bw:run:${runId}:control`,
    attempt: `bw:run:${runId}:attempt`,
    checkpoint: `bw:run:${runId}:checkpoint`,
  };
}

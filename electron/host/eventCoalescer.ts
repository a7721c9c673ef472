/**
 * Thins the live event stream the host forwards to its subscribers, so a fast run cannot flood a
 * renderer: status and regression events always pass (in order), progress passes at most once per
 * `progressMs` per run and metrics once per `metricsMs` per run, each time the latest one. The
 * full history stays in the run's events.ndjson.
 */
import type { RunEvent } from '../../core/contract/runEvent';

export interface CoalescingIntervals {
  progressMs: number;
  metricsMs: number;
}

export const defaultCoalescingIntervals: CoalescingIntervals = { progressMs: 100, metricsMs: 50 };

type ThrottledType = 'progress' | 'metrics';

interface Lane {
  lastForwardedAt: number;
  pending: RunEvent | null;
  timer: NodeJS.Timeout | null;
}

export class EventCoalescer {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly forward: (event: RunEvent) => void,
    private readonly intervals: CoalescingIntervals = defaultCoalescingIntervals,
  ) {}

  push(event: RunEvent): void {
    if (event.type !== 'progress' && event.type !== 'metrics') {
      // What was held back happened before this event; let it out first so order is kept.
      this.flushRun(event.runId);
      this.forward(event);
      return;
    }
    const lane = this.lane(event.runId, event.type);
    const interval = event.type === 'progress' ? this.intervals.progressMs : this.intervals.metricsMs;
    const now = Date.now();
    if (!lane.pending && now - lane.lastForwardedAt >= interval) {
      lane.lastForwardedAt = now;
      this.forward(event);
      return;
    }
    lane.pending = event;
    if (!lane.timer) {
      lane.timer = setTimeout(() => this.release(lane), Math.max(0, lane.lastForwardedAt + interval - now));
      lane.timer.unref();
    }
  }

  /** Forwards what is held back for one run now (before its final status, for instance). */
  flushRun(runId: string): void {
    for (const type of ['progress', 'metrics'] as const) {
      const lane = this.lanes.get(`${runId}\u0000${type}`);
      if (lane) this.release(lane);
    }
  }

  /** Forgets a finished run's lanes (after flushing them). */
  forgetRun(runId: string): void {
    this.flushRun(runId);
    this.lanes.delete(`${runId}\u0000progress`);
    this.lanes.delete(`${runId}\u0000metrics`);
  }

  dispose(): void {
    for (const lane of this.lanes.values()) if (lane.timer) clearTimeout(lane.timer);
    this.lanes.clear();
  }

  private release(lane: Lane): void {
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = null;
    const event = lane.pending;
    lane.pending = null;
    if (event) {
      lane.lastForwardedAt = Date.now();
      this.forward(event);
    }
  }

  private lane(runId: string, type: ThrottledType): Lane {
    const key = `${runId}\u0000${type}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { lastForwardedAt: -Infinity, pending: null, timer: null };
      this.lanes.set(key, lane);
    }
    return lane;
  }
}

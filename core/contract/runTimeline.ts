/**
 * A resumed run's event log holds the stretch trained after its checkpoint and then lost (the
 * process died or the run was stopped), followed by the same steps trained again. The current
 * timeline keeps what the run is now: every status event (they tell the story), and of the other
 * events only those not superseded by a later resume from an earlier step.
 */
import type { RunEvent } from './runEvent';

/** The events of one run's log that describe its current training, in log order. */
export function currentTimeline(events: RunEvent[]): RunEvent[] {
  const kept: RunEvent[] = [];
  // Walk backwards: a resume marker hides the non-status events before it beyond its step.
  let limit = Infinity;
  for (let index = events.length - 1; index >= 0; index -= 1) {
    const event = events[index];
    if (event.type === 'status') {
      kept.push(event);
      if (event.resumedFromStep !== undefined) limit = Math.min(limit, event.resumedFromStep);
    } else if (event.step <= limit) {
      kept.push(event);
    }
  }
  return kept.reverse();
}

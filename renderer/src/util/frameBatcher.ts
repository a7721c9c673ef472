/**
 * Collects items and hands them over at most once per animation frame, so a burst of events
 * costs one reactive update and one chart redraw. A hidden page gets no frames; it falls back
 * to a timer so the backlog does not grow without bound while the window is minimised.
 */
export interface FrameBatcher<T> {
  push(item: T): void;
  /** Hands over whatever is waiting now, without waiting for the frame. */
  flushNow(): void;
  /** Drops what is waiting and cancels the scheduled flush. */
  clear(): void;
}

const hiddenPageDelayMs = 250;

export function createFrameBatcher<T>(onFlush: (items: T[]) => void): FrameBatcher<T> {
  let items: T[] = [];
  let cancelScheduled: (() => void) | null = null;

  function flushNow(): void {
    cancelScheduled?.();
    cancelScheduled = null;
    if (items.length === 0) return;
    const batch = items;
    items = [];
    onFlush(batch);
  }

  function schedule(): void {
    if (cancelScheduled) return;
    if (document.hidden) {
      const timer = setTimeout(flushNow, hiddenPageDelayMs);
      cancelScheduled = () => clearTimeout(timer);
    } else {
      const frame = requestAnimationFrame(flushNow);
      cancelScheduled = () => cancelAnimationFrame(frame);
    }
  }

  return {
    push(item) {
      items.push(item);
      schedule();
    },
    flushNow,
    clear() {
      cancelScheduled?.();
      cancelScheduled = null;
      items = [];
    },
  };
}

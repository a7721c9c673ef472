/**
 * Collects items and hands them over at most once per animation frame, so a burst of events
 * costs one reactive update and one chart redraw. A hidden page gets no frames; it falls back
 * to a timer so the backlog does not grow without bound while the window is minimised.
 * `minIntervalMs` spaces flushes further apart: a training curve redrawn 5 times a second looks
 * just as live as at 20, and each redraw takes CPU from the training worker on a small machine
 * (bench/uiStreaming.ts measures it).
 */
export interface FrameBatcher<T> {
  push(item: T): void;
  /** Hands over whatever is waiting now, without waiting for the frame. */
  flushNow(): void;
  /** Drops what is waiting and cancels the scheduled flush. */
  clear(): void;
}

const hiddenPageDelayMs = 250;

export interface FrameBatcherOptions {
  /** Least time between two flushes (0: every frame). */
  minIntervalMs?: number;
}

export function createFrameBatcher<T>(
  onFlush: (items: T[]) => void,
  options: FrameBatcherOptions = {},
): FrameBatcher<T> {
  const minIntervalMs = options.minIntervalMs ?? 0;
  let items: T[] = [];
  let cancelScheduled: (() => void) | null = null;
  let lastFlushAt = -Infinity;

  function flushNow(): void {
    cancelScheduled?.();
    cancelScheduled = null;
    if (items.length === 0) return;
    lastFlushAt = performance.now();
    const batch = items;
    items = [];
    onFlush(batch);
  }

  function scheduleFrame(): void {
    const frame = requestAnimationFrame(flushNow);
    cancelScheduled = () => cancelAnimationFrame(frame);
  }

  function schedule(): void {
    if (cancelScheduled) return;
    const wait = lastFlushAt + minIntervalMs - performance.now();
    if (document.hidden) {
      const timer = setTimeout(flushNow, Math.max(hiddenPageDelayMs, wait));
      cancelScheduled = () => clearTimeout(timer);
    } else if (wait > 0) {
      // Wait out the interval, then take the next frame.
      const timer = setTimeout(scheduleFrame, wait);
      cancelScheduled = () => clearTimeout(timer);
    } else {
      scheduleFrame();
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

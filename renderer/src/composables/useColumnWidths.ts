/**
 * Widths of the runs table's columns set by the user: dragged by a heading's right edge (pointer
 * capture, so a fast drag never loses it), moved with the arrow keys on that edge, reset by a double
 * click, and remembered per column id in localStorage (the renderer's persisted UI state, as the
 * runs pane's width). Columns the user never touched keep the width the table model gives them.
 */
import { onBeforeUnmount, ref } from 'vue';
import { startPointerDrag } from './pointerDrag';

const storageKey = 'workbench.runsTableColumnWidths';
export const COLUMN_MIN_WIDTH = 48;
export const COLUMN_MAX_WIDTH = 900;

function clamp(width: number): number {
  return Math.round(Math.min(COLUMN_MAX_WIDTH, Math.max(COLUMN_MIN_WIDTH, width)));
}

/** What is stored, kept only where it is a sane width (a hand-edited or old value is ignored). */
function readStored(): Record<string, number> {
  try {
    const parsed: unknown = JSON.parse(globalThis.localStorage?.getItem(storageKey) ?? '{}');
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).flatMap(([id, width]) =>
        typeof width === 'number' && Number.isFinite(width) ? [[id, clamp(width)]] : [],
      ),
    );
  } catch {
    return {};
  }
}

export function useColumnWidths() {
  const widths = ref<Record<string, number>>(readStored());
  let stopDrag: (() => void) | null = null;

  function save(): void {
    globalThis.localStorage?.setItem(storageKey, JSON.stringify(widths.value));
  }

  function set(id: string, width: number): void {
    widths.value = { ...widths.value, [id]: clamp(width) };
    save();
  }

  /** Back to the table model's width. */
  function reset(id: string): void {
    const next = { ...widths.value };
    delete next[id];
    widths.value = next;
    save();
  }

  /** Starts a drag of column `id`'s right edge; `current` is its width as drawn now. */
  function startResize(event: PointerEvent, id: string, current: number): void {
    if (event.button !== 0) return;
    const startX = event.clientX;
    stopDrag = startPointerDrag(
      event,
      (moved) => set(id, current + moved.clientX - startX),
      () => (stopDrag = null),
    );
    event.stopPropagation();
  }

  onBeforeUnmount(() => stopDrag?.());
  return {
    widths,
    startResize,
    resizeBy: (id: string, current: number, delta: number) => set(id, current + delta),
    reset,
  };
}

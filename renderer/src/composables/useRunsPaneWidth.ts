/**
 * The width of the runs table's pane: dragged by its separator (pointer capture, so a fast drag
 * never loses it) or moved by the keyboard, kept between a third of a narrow window and most of a
 * wide one, and remembered in localStorage.
 */
import { onBeforeUnmount, ref, type Ref } from 'vue';
import { startPointerDrag } from './pointerDrag';

const storageKey = 'workbench.runsPaneWidth';
const minimum = 340;

function limits(): { min: number; max: number } {
  const viewport = typeof window === 'undefined' ? 1440 : window.innerWidth;
  return { min: Math.min(minimum, viewport * 0.5), max: Math.max(minimum, viewport - 360) };
}

function clamp(width: number): number {
  const { min, max } = limits();
  return Math.round(Math.min(max, Math.max(min, width)));
}

function initialWidth(): number {
  const stored = Number(globalThis.localStorage?.getItem(storageKey));
  if (Number.isFinite(stored) && stored > 0) return clamp(stored);
  const viewport = typeof window === 'undefined' ? 1440 : window.innerWidth;
  return clamp(Math.min(760, viewport * 0.5));
}

export function useRunsPaneWidth(pane: Ref<HTMLElement | null>) {
  const width = ref(initialWidth());
  let stopDrag: (() => void) | null = null;

  function set(next: number): void {
    width.value = clamp(next);
    globalThis.localStorage?.setItem(storageKey, String(width.value));
  }

  function startResize(event: PointerEvent): void {
    const left = pane.value?.getBoundingClientRect().left ?? 0;
    stopDrag = startPointerDrag(
      event,
      (moved) => set(moved.clientX - left),
      () => (stopDrag = null),
    );
  }

  onBeforeUnmount(() => stopDrag?.());
  return { width, startResize, resizeBy: (delta: number) => set(width.value + delta) };
}

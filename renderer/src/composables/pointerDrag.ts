/**
 * A drag of a resize handle: the handle captures the pointer (so a fast drag never loses it),
 * `move` is told each pointer position until the button is released or the drag is cancelled, and
 * the returned function ends the drag early (a component unmounted mid-drag).
 */
export function startPointerDrag(
  event: PointerEvent,
  move: (moved: PointerEvent) => void,
  onEnd: () => void,
): () => void {
  const handle = event.currentTarget as HTMLElement;
  handle.setPointerCapture(event.pointerId);
  const end = () => {
    handle.removeEventListener('pointermove', move);
    handle.removeEventListener('pointerup', end);
    handle.removeEventListener('pointercancel', end);
    onEnd();
  };
  handle.addEventListener('pointermove', move);
  handle.addEventListener('pointerup', end);
  handle.addEventListener('pointercancel', end);
  event.preventDefault();
  return end;
}

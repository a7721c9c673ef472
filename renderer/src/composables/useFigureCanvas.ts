/**
 * Draws a canvas figure spec (core/figures) at the container's width and the spec's height, at
 * the screen's pixel density; redraws when the spec changes or the container is resized, and
 * stops observing on unmount.
 */
import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue';
import type { CanvasFigureSpec } from '../../../core/figures/types';

export function useFigureCanvas(
  canvas: Ref<HTMLCanvasElement | null>,
  container: Ref<HTMLElement | null>,
  spec: Ref<CanvasFigureSpec>,
) {
  let observer: ResizeObserver | null = null;
  let drawnWidth = 0;

  function draw(): void {
    const element = canvas.value;
    const box = container.value;
    if (!element || !box) return;
    const width = Math.max(320, Math.floor(box.clientWidth));
    // A figure that rearranges when narrow says how tall it is at this width.
    const height = spec.value.heightFor?.(width) ?? spec.value.height;
    const ratio = window.devicePixelRatio || 1;
    element.width = Math.round(width * ratio);
    element.height = Math.round(height * ratio);
    element.style.width = `${width}px`;
    element.style.height = `${height}px`;
    const ctx = element.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    spec.value.draw(ctx, width, height);
    drawnWidth = width;
  }

  onMounted(() => {
    draw();
    observer = new ResizeObserver(() => {
      // Only a width change needs a redraw; the height is the spec's.
      if (container.value && Math.floor(container.value.clientWidth) !== drawnWidth) draw();
    });
    if (container.value) observer.observe(container.value);
  });
  const stopWatching = watch(spec, draw, { flush: 'post' });
  onBeforeUnmount(() => {
    stopWatching();
    observer?.disconnect();
    observer = null;
  });

  return { redraw: draw };
}

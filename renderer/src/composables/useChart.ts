/**
 * Owns one Chart.js instance for a component: creates it when the canvas is mounted, redraws it
 * whenever `watchSource` changes (without animation, as data streams in), and destroys it on
 * unmount so no chart, listener or resize observer outlives its component.
 */
import { onBeforeUnmount, onMounted, shallowRef, watch, type Ref, type WatchSource } from 'vue';
import type { ChartConfiguration, ChartType, DefaultDataPoint } from 'chart.js';
import { Chart } from '../charts/registerCharts';

export interface UseChartOptions<TType extends ChartType, TData> {
  /** The initial configuration; data usually starts empty and is filled by `draw`. */
  config: () => ChartConfiguration<TType, TData>;
  /** Writes the current data (and options that follow it) into the chart before each update. */
  draw: (chart: Chart<TType, TData>) => void;
  /** Redraw whenever this changes. */
  watchSource: WatchSource;
}

export function useChart<TType extends ChartType, TData = DefaultDataPoint<TType>>(
  canvas: Ref<HTMLCanvasElement | null>,
  options: UseChartOptions<TType, TData>,
) {
  const chart = shallowRef<Chart<TType, TData> | null>(null);

  function redraw(): void {
    if (!chart.value) return;
    options.draw(chart.value);
    chart.value.update('none');
  }

  onMounted(() => {
    if (!canvas.value)
      throw new Error('useChart: the canvas ref is empty at mount; bind it with ref="…" on a <canvas>.');
    chart.value = new Chart(canvas.value, options.config());
    redraw();
  });

  const stopWatching = watch(options.watchSource, redraw, { flush: 'post' });

  onBeforeUnmount(() => {
    stopWatching();
    chart.value?.destroy();
    chart.value = null;
  });

  return { chart, redraw };
}

/**
 * Draws a chart figure spec (core/figures) on a canvas and keeps it current: the Chart.js
 * instance is created once; each new spec is copied into the existing datasets and options,
 * then drawn with `update('none')`, so streaming data never rebuilds the chart or animates.
 */
import type { Ref } from 'vue';
import type { Chart } from 'chart.js';
import type { ChartFigureSpec } from '../../../core/figures/types';
import { useChart } from './useChart';

/** Copies `next` into `chart` keeping dataset objects (Chart.js keys its per-dataset state on them). */
export function applyFigureToChart(chart: Chart, next: ChartFigureSpec): void {
  const target = chart.data;
  const source = next.chart.data;
  if (target === source) return;
  target.labels = source.labels;
  source.datasets.forEach((dataset, index) => {
    if (index < target.datasets.length) Object.assign(target.datasets[index], dataset);
    else target.datasets.push(dataset);
  });
  target.datasets.splice(source.datasets.length);
  if (next.chart.options) chart.options = next.chart.options;
}

export function useFigureChart(canvas: Ref<HTMLCanvasElement | null>, spec: Ref<ChartFigureSpec>) {
  return useChart(canvas, {
    config: () => spec.value.chart,
    draw: (instance) => applyFigureToChart(instance as Chart, spec.value),
    watchSource: spec,
  });
}

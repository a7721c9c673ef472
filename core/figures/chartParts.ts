/** Pieces every chart figure shares: axes with titles, the legend, line datasets, the base options. */
import type { ChartOptions, ScaleOptionsByType } from 'chart.js';
import { formatMetric } from './format';
import { palette } from './palette';

type LinearAxis = Partial<ScaleOptionsByType<'linear'>>;

/** A linear (or logarithmic) axis with a title that names the quantity and its unit. */
export function axis(title: string, extra: Record<string, unknown> = {}): LinearAxis {
  return {
    type: 'linear',
    title: { display: true, text: title, color: palette.text },
    grid: { color: palette.grid },
    ticks: { color: palette.text, maxTicksLimit: 8, callback: (value: number | string) => formatMetric(Number(value)) },
    ...extra,
  } as unknown as LinearAxis;
}

export function baseOptions(): ChartOptions {
  return {
    animation: false,
    maintainAspectRatio: false,
    parsing: false,
    normalized: true,
    plugins: {
      legend: { position: 'top', align: 'end', labels: { usePointStyle: true, boxHeight: 7, color: palette.text } },
    },
  } as ChartOptions;
}

/** A series drawn as a line through its points (scatter data, so x is numeric). */
export function lineDataset(
  label: string,
  colour: string,
  data: { x: number; y: number }[],
  extra: Record<string, unknown> = {},
) {
  return {
    label,
    data,
    showLine: true,
    borderColor: colour,
    backgroundColor: colour,
    borderWidth: 1.5,
    pointRadius: 0,
    pointHitRadius: 4,
    pointStyle: 'line' as const,
    ...extra,
  };
}

/** Evaluation series have few points: mark each one (not clipped, so a point on the last step shows whole). */
export const markedPoints = { pointRadius: 3, pointStyle: 'circle' as const, borderWidth: 2, clip: 6 };

/** Keeps at most `maxPoints` indices of `length` evenly, always including the last, so long runs stay cheap to redraw. */
export function thinnedIndices(length: number, maxPoints: number): number[] {
  if (length <= maxPoints) return Array.from({ length }, (_, i) => i);
  const stride = Math.ceil(length / maxPoints);
  const indices: number[] = [];
  for (let i = 0; i < length; i += stride) indices.push(i);
  if (indices[indices.length - 1] !== length - 1) indices.push(length - 1);
  return indices;
}

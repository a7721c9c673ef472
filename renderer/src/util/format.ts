/** Display formatting shared by the status bar and the run list. */

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export function formatRate(stepsPerSecond: number): string {
  return stepsPerSecond >= 100 ? stepsPerSecond.toFixed(0) : stepsPerSecond.toFixed(1);
}

/** Shared with the figure specs, so a number reads the same on an axis and in a label. */
export { formatMetric } from '../../../core/figures/format';

export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

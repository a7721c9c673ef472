/** 1-D regression data: inputs and noisy targets, generated from plain numbers so every backend trains on the same data. */

export interface RegressionData {
  x: number[];
  y: number[];
}

/** `count` evenly spaced numbers from `start` to `stop` inclusive (numpy's linspace). */
export function linspace(start: number, stop: number, count: number): number[] {
  if (count === 1) return [start];
  return Array.from({ length: count }, (_, i) => start + ((stop - start) * i) / (count - 1));
}

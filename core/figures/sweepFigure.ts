/**
 * A sweep's parallel-coordinates figure (Inselberg 1985): one vertical axis per swept key (its
 * values evenly spaced, in order; numbers ascending) and a last axis for a chosen final score;
 * each finished run is a line through its values, coloured by its score from worst (orange) to
 * best (blue). Lines of one seed group share every axis but the score, so the spread over seeds
 * shows as a fan at the end. Canvas figure: Chart.js has no parallel axes.
 */
import { formatAxisValue } from '../sweeps/expandSweep';
import { figureFont } from './fonts';
import { formatMetric } from './format';
import { palette } from './palette';
import type { Canvas2DContext, CanvasFigureSpec, FigureTable } from './types';

export interface SweepFigureRun {
  id: string;
  name: string;
  seed: number;
  axisValues: Record<string, unknown>;
  /** The run's final score, or null when it has none (not finished, failed). */
  score: number | null;
}

export interface SweepFigureInput {
  sweepName: string;
  /** The swept keys, in the sweep's order, with the values each axis takes (the sweep file's lists). */
  axes: { key: string; values: readonly unknown[] }[];
  scoreKey: string;
  /** Which way the score is better (colours run from worst to best; 'none': low to high). */
  direction: 'higher' | 'lower' | 'none';
  runs: readonly SweepFigureRun[];
  /** The experiment and settings the sweep shares, for the caption. */
  settings?: string;
}

const worstColour = [213, 94, 0]; // Okabe–Ito vermillion
const bestColour = [0, 114, 178]; // Okabe–Ito blue

function mix(fraction: number): string {
  const channel = (index: number) =>
    Math.round(worstColour[index] + (bestColour[index] - worstColour[index]) * fraction);
  return `rgba(${channel(0)}, ${channel(1)}, ${channel(2)}, 0.75)`;
}

/** The axis's values in drawing order (bottom to top): numbers ascending, anything else as listed. */
function orderedValues(values: readonly unknown[]): unknown[] {
  return values.every((value) => typeof value === 'number')
    ? [...(values as number[])].sort((a, b) => a - b)
    : [...values];
}

function niceTicks(min: number, max: number, count: number): number[] {
  if (min === max) return [min];
  const step = (max - min) / (count - 1);
  return Array.from({ length: count }, (_, index) => min + step * index);
}

export function sweepParallelFigure(input: SweepFigureInput): CanvasFigureSpec {
  const scored = input.runs.filter((run) => run.score !== null);
  const scores = scored.map((run) => run.score as number);
  const low = scores.length ? Math.min(...scores) : 0;
  const high = scores.length ? Math.max(...scores) : 1;
  const pad = high > low ? (high - low) * 0.05 : Math.max(Math.abs(high) * 0.05, 0.5);
  const scoreMin = low - pad;
  const scoreMax = high + pad;
  const axes = input.axes.map((axis) => ({ key: axis.key, values: orderedValues(axis.values) }));
  const position = (values: unknown[], value: unknown) => {
    const text = formatAxisValue(value);
    const index = values.findIndex((candidate) => formatAxisValue(candidate) === text);
    return values.length === 1 ? 0.5 : Math.max(0, index) / (values.length - 1);
  };
  // How good a score is, 0 (worst) to 1 (best), for its colour.
  const goodness = (score: number) => {
    const fraction = high > low ? (score - low) / (high - low) : 1;
    return input.direction === 'lower' ? 1 - fraction : fraction;
  };

  function draw(ctx: Canvas2DContext, width: number, height: number): void {
    const top = 44;
    const bottom = 28;
    const left = 70;
    const right = 70;
    const plotHeight = Math.max(40, height - top - bottom);
    const count = axes.length + 1;
    const xOf = (index: number) => left + (count === 1 ? 0 : ((width - left - right) * index) / (count - 1));
    const yOfFraction = (fraction: number) => top + plotHeight * (1 - fraction);
    const yOfScore = (score: number) => yOfFraction((score - scoreMin) / (scoreMax - scoreMin));

    ctx.save();
    ctx.fillStyle = palette.background;
    ctx.fillRect(0, 0, width, height);

    // Lines first, worst first, so the best runs are drawn on top.
    const ordered = [...scored].sort((a, b) => goodness(a.score as number) - goodness(b.score as number));
    ctx.lineWidth = 1.6;
    for (const run of ordered) {
      ctx.strokeStyle = mix(goodness(run.score as number));
      ctx.beginPath();
      axes.forEach((axis, index) => {
        const y = yOfFraction(position(axis.values, run.axisValues[axis.key]));
        if (index === 0) ctx.moveTo(xOf(index), y);
        else ctx.lineTo(xOf(index), y);
      });
      const y = yOfScore(run.score as number);
      if (axes.length === 0) ctx.moveTo(xOf(0) - 10, y);
      ctx.lineTo(xOf(axes.length), y);
      ctx.stroke();
    }

    // Axes, their names above and their values beside them.
    ctx.strokeStyle = palette.textStrong;
    ctx.lineWidth = 1;
    const axisNames = [...axes.map((axis) => axis.key), input.scoreKey];
    axisNames.forEach((name, index) => {
      const x = xOf(index);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + plotHeight);
      ctx.stroke();
      ctx.fillStyle = palette.textStrong;
      ctx.font = figureFont(12, 600);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.fillText(name, x, top - 14, Math.max(60, (width - left - right) / Math.max(1, count - 1)));
    });
    ctx.font = figureFont(11);
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    ctx.fillStyle = palette.text;
    axes.forEach((axis, index) => {
      for (const value of axis.values)
        ctx.fillText(formatAxisValue(value), xOf(index) - 6, yOfFraction(position(axis.values, value)), left - 10);
    });
    ctx.textAlign = 'left';
    const scoreX = xOf(axes.length);
    for (const tick of niceTicks(scoreMin, scoreMax, 5)) {
      const y = yOfScore(tick);
      ctx.beginPath();
      ctx.moveTo(scoreX, y);
      ctx.lineTo(scoreX + 4, y);
      ctx.stroke();
      ctx.fillText(formatMetric(tick), scoreX + 7, y, right - 10);
    }

    // The colour key and what is left out.
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'left';
    ctx.font = figureFont(11);
    const better = input.direction === 'none' ? 'high' : 'best';
    const worse = input.direction === 'none' ? 'low' : 'worst';
    const legendY = height - 8;
    ctx.fillStyle = mix(0);
    ctx.fillRect(left, legendY - 9, 14, 10);
    ctx.fillStyle = palette.text;
    ctx.fillText(`${worse} ${input.scoreKey}`, left + 18, legendY);
    const secondX = left + 18 + ctx.measureText(`${worse} ${input.scoreKey}`).width + 16;
    ctx.fillStyle = mix(1);
    ctx.fillRect(secondX, legendY - 9, 14, 10);
    ctx.fillStyle = palette.text;
    const unscored = input.runs.length - scored.length;
    ctx.fillText(
      `${better} ${input.scoreKey} · ${scored.length} of ${input.runs.length} runs drawn${unscored ? ` (${unscored} without a score yet)` : ''}`,
      secondX + 18,
      legendY,
    );
    ctx.restore();
  }

  function data(): FigureTable {
    return {
      columns: ['run_id', 'run_name', ...axes.map((axis) => axis.key), 'seed', input.scoreKey],
      rows: input.runs.map((run) => [
        run.id,
        run.name,
        ...axes.map((axis) => {
          const value = run.axisValues[axis.key];
          return typeof value === 'number' ? value : formatAxisValue(value);
        }),
        run.seed,
        run.score,
      ]),
    };
  }

  return {
    id: 'sweep-parallel',
    kind: 'canvas',
    title: `Swept settings against ${input.scoreKey}`,
    caption: `Sweep "${input.sweepName}"${input.settings ? ` — ${input.settings}` : ''}`,
    width: 900,
    height: 420,
    draw,
    data,
  };
}

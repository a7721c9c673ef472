/**
 * A 1-D regression's predictive distribution: mean ± 2 epistemic σ over the grid, the true
 * function and the data, on the fixed axes its descriptor names (so the band does not make the
 * axes jump between snapshots; wider parts are clipped).
 */
import type { ChartConfiguration } from 'chart.js';
import type { RegressionEvent } from '../contract/runEvent';
import { axis, baseOptions, lineDataset } from './chartParts';
import type { RegressionTask } from '../experiments/descriptor';
import { descriptorOf } from '../experiments/registry';
import { figureCaption } from './caption';
import { palette } from './palette';
import type { RunData } from './runData';
import type { ChartFigureSpec, FigureRun } from './types';

/** The regression task of the run's experiment (what the axes span and which function is true). */
function regressionTaskOf(run: FigureRun): RegressionTask {
  const { task, name } = descriptorOf(run.config);
  if (task.kind !== 'regression')
    throw new Error(`The predictive-band figure is for regression runs; experiment "${name}" is a ${task.kind} task.`);
  return task;
}

/** The true function, drawn before the first snapshot brings its own trueY. */
function truePoints(task: RegressionTask): { x: number; y: number }[] {
  const { min, max } = task.plot.x;
  return Array.from({ length: 301 }, (_, i) => {
    const x = min + ((max - min) * i) / 300;
    return { x, y: task.trueFunction(x) };
  });
}

/** Dataset indices; the upper band edge fills down to the dataset just before it. */
export const RegressionSeries = { BandLower: 0, BandUpper: 1, Mean: 2, TrueFunction: 3, TrainingPoints: 4 } as const;

function zip(xs: number[], ys: number[]) {
  return xs.map((x, i) => ({ x, y: ys[i] }));
}

export function regressionFigure(data: Pick<RunData, 'regression'>, run: FigureRun): ChartFigureSpec {
  const task = regressionTaskOf(run);
  const snapshot: RegressionEvent | null = data.regression;
  const grid = snapshot?.grid ?? [];
  const line = { pointHitRadius: 0 };
  const chart: ChartConfiguration = {
    type: 'scatter',
    data: {
      datasets: [
        lineDataset(
          '−2σ',
          palette.bandEdge,
          snapshot ? grid.map((x, i) => ({ x, y: snapshot.mean[i] - 2 * snapshot.std[i] })) : [],
          { ...line, borderWidth: 1, fill: false },
        ),
        lineDataset(
          'mean ± 2σ (epistemic)',
          palette.bandEdge,
          snapshot ? grid.map((x, i) => ({ x, y: snapshot.mean[i] + 2 * snapshot.std[i] })) : [],
          {
            ...line,
            borderWidth: 1,
            backgroundColor: palette.band,
            fill: '-1',
            pointStyle: 'rect',
          },
        ),
        lineDataset('predictive mean', palette.mean, snapshot ? zip(grid, snapshot.mean) : [], {
          ...line,
          borderWidth: 2,
        }),
        lineDataset(
          task.trueFunctionLabel,
          palette.trueFunction,
          snapshot && snapshot.trueY.length === grid.length ? zip(grid, snapshot.trueY) : truePoints(task),
          {
            ...line,
            borderDash: [6, 4],
          },
        ),
        {
          label: 'training data',
          data: snapshot ? zip(snapshot.trainX, snapshot.trainY) : [],
          pointRadius: 3,
          pointStyle: 'circle',
          borderColor: palette.trainingPoints,
          backgroundColor: palette.trainingPoints,
          showLine: false,
        },
      ],
    },
    options: {
      ...baseOptions(),
      plugins: {
        legend: {
          position: 'top',
          align: 'end',
          labels: {
            usePointStyle: true,
            boxHeight: 7,
            color: palette.text,
            filter: (item) => item.datasetIndex !== RegressionSeries.BandLower,
          },
        },
        tooltip: { enabled: false },
      },
      scales: {
        x: axis('x (input, no unit)', { ...task.plot.x }),
        y: axis('y (output, no unit)', { ...task.plot.y }),
      },
    },
  };
  return {
    id: 'predictive',
    kind: 'chart',
    title: snapshot ? `Predictive distribution at step ${snapshot.step}` : 'Predictive distribution',
    caption: figureCaption(run),
    width: 900,
    height: 500,
    chart,
  };
}

/**
 * The reliability diagram of one evaluation: per confidence bin, the accuracy of the predictions
 * whose mean max-probability fell in it, against the diagonal of perfect calibration; bins show
 * how many predictions they hold on a log axis (an accuracy over three images means little).
 */
import type { ChartConfiguration } from 'chart.js';
import type { HeldoutEvent } from '../contract/runEvent';
import { axis, baseOptions } from './chartParts';
import { figureCaption } from './caption';
import { formatMetric } from './format';
import { palette } from './palette';
import type { ChartFigureSpec, FigureRun } from './types';

export function reliabilityFigure(evaluation: HeldoutEvent | null, run: FigureRun): ChartFigureSpec {
  const bins = evaluation?.reliability ?? [];
  const percent = (value: number) => Math.round(value * 1000) / 10;
  const centre = (bin: { lower: number; upper: number }) => (bin.lower + bin.upper) / 2;
  // Every bin keeps its slot (empty ones as gaps), so Chart.js sizes the bars to the bin width.
  // Mixed bar + line charts defeat Chart.js's per-type typings; the shape is checked by the unit test.
  const chart = {
    type: 'bar',
    data: {
      datasets: [
        {
          type: 'bar',
          label: 'accuracy',
          data: bins.map((bin) => ({ x: centre(bin), y: bin.count > 0 ? percent(bin.accuracy) : null })),
          backgroundColor: 'rgba(37, 99, 235, 0.4)',
          borderColor: '#2563eb',
          borderWidth: 1,
          barPercentage: 1,
          categoryPercentage: 0.94,
          pointStyle: 'rect',
          order: 3,
        },
        {
          type: 'line',
          label: 'perfect calibration',
          data: [
            { x: 0, y: 0 },
            { x: 1, y: 100 },
          ],
          borderColor: palette.text,
          backgroundColor: palette.text,
          borderDash: [6, 4],
          borderWidth: 1.5,
          pointRadius: 0,
          pointStyle: 'line',
          order: 1,
        },
        {
          type: 'line',
          label: 'mean confidence',
          data: bins.filter((bin) => bin.count > 0).map((bin) => ({ x: centre(bin), y: percent(bin.meanConfidence) })),
          borderColor: palette.ece,
          backgroundColor: palette.ece,
          showLine: false,
          pointRadius: 4,
          pointStyle: 'crossRot',
          borderWidth: 2,
          order: 0,
        },
        {
          type: 'line',
          label: 'images in bin (right axis)',
          data: bins.filter((bin) => bin.count > 0).map((bin) => ({ x: centre(bin), y: bin.count })),
          yAxisID: 'count',
          borderColor: palette.trueFunction,
          backgroundColor: palette.trueFunction,
          borderWidth: 1,
          borderDash: [2, 2],
          pointRadius: 2.5,
          pointStyle: 'circle',
          order: 2,
        },
      ],
    },
    options: {
      ...baseOptions(),
      // Bars on a linear axis: let Chart.js parse the {x, y} points.
      parsing: true,
      normalized: false,
      scales: {
        x: axis('confidence (mean max-probability)', { min: 0, max: 1, offset: false, grid: { display: false } }),
        y: axis('accuracy in bin (%)', { min: 0, max: 100 }),
        count: axis('images in bin (log scale)', {
          type: 'logarithmic',
          position: 'right',
          min: 1,
          grid: { drawOnChartArea: false },
        }),
      },
    },
  } as unknown as ChartConfiguration;
  const title = evaluation
    ? `Reliability at step ${evaluation.step} (ECE ${formatMetric(evaluation.ece)}, ${evaluation.images} images)`
    : 'Reliability diagram';
  return { id: 'reliability', kind: 'chart', title, caption: figureCaption(run), width: 900, height: 500, chart };
}

/**
 * Figures of out-of-distribution images: the verdict on one image (the reference text's columns
 * for a dropped image: what the network sees, the class probabilities of each posterior draw as
 * translucent bars, their mean, and the refusal line), and the histograms of an OOD evaluation's
 * scores, one curve per image set.
 */
import type { ChartConfiguration } from 'chart.js';
import { describePasses } from '../methods/index';
import type { OodEvaluation, OodScoreKindName } from '../contract/ood';
import { axis, baseOptions, lineDataset } from './chartParts';
import { figureCaption } from './caption';
import { palette, seriesColour } from './palette';
import { drawAxesFrame, drawBars, drawImage } from './predictionsFigure';
import type { CanvasFigureSpec, ChartFigureSpec, FigureRun } from './types';

export interface VerdictFigureInput {
  name: string;
  /** 784 values in [0, 1]. */
  preprocessed28: readonly number[];
  meanProbabilities: readonly number[];
  drawProbabilities: readonly (readonly number[])[];
}

const drawColour = '#2563eb';
const meanColour = '#1e3a8a';

/**
 * One image's verdict: the 28×28 input (left out with `showImage: false`, where the input is shown
 * beside the figure), per-draw bars, mean bars; the refusal recomputed at `threshold`.
 */
export function oodVerdictFigure(
  image: VerdictFigureInput,
  threshold: number,
  { showImage = true } = {},
): CanvasFigureSpec {
  const refused = Math.max(...image.meanProbabilities) < threshold;
  return {
    id: 'ood-verdict',
    kind: 'canvas',
    title: `${image.name}: p(class) of ${image.drawProbabilities.length} posterior draws and their mean`,
    caption: `threshold ${threshold.toFixed(2)}`,
    width: 420,
    height: 96,
    draw(ctx, width, height) {
      ctx.fillStyle = palette.background;
      ctx.fillRect(0, 0, width, height);
      const imageSize = showImage ? height - 16 : 0;
      if (showImage)
        drawImage(
          ctx,
          image.preprocessed28.map((value) => value * 255),
          0,
          2,
          imageSize,
        );
      const gap = 10;
      const plotX = showImage ? imageSize + gap : 0;
      const plotWidth = (width - plotX - gap) / 2;
      const plotHeight = height - 18;
      const classes = image.meanProbabilities.length;
      const drawsBox = { x: plotX, y: 3, width: plotWidth, height: plotHeight };
      const meanBox = { x: plotX + plotWidth + gap, y: 3, width: plotWidth, height: plotHeight };
      drawAxesFrame(ctx, drawsBox, threshold, classes);
      drawAxesFrame(ctx, meanBox, threshold, classes);
      // As in the held-out panel: each draw adds a little ink, so agreement shows as dark bars.
      const alpha = Math.min(0.5, Math.max(0.04, 1.5 / Math.max(image.drawProbabilities.length, 1)));
      for (const probabilities of image.drawProbabilities) drawBars(ctx, drawsBox, probabilities, drawColour, alpha);
      drawBars(ctx, meanBox, image.meanProbabilities, refused ? palette.diagonal : meanColour, 1);
    },
  };
}

export const SCORE_TITLES: Record<OodScoreKindName, string> = {
  maxProbability: 'max mean probability',
  predictiveEntropy: 'predictive entropy H[p̄] (nats)',
  mutualInformation: 'mutual information (nats)',
};

/** The distribution of one score over each set (fraction of the set per bin), held-out digits first. */
export function oodHistogramFigure(evaluation: OodEvaluation, kind: OodScoreKindName, run: FigureRun): ChartFigureSpec {
  const sets = [evaluation.inDistribution, ...evaluation.outOfDistribution];
  const chart: ChartConfiguration = {
    type: 'scatter',
    data: {
      datasets: sets.map((set, i) => {
        const { edges, counts } = set.histograms[kind];
        const points = counts.map((count, b) => ({ x: (edges[b] + edges[b + 1]) / 2, y: count / set.count }));
        return lineDataset(set.name, i === 0 ? palette.textStrong : seriesColour(i - 1), points, {
          borderWidth: i === 0 ? 2.5 : 1.5,
        });
      }),
    },
    options: {
      ...baseOptions(),
      scales: {
        x: axis(SCORE_TITLES[kind], {
          min: evaluation.inDistribution.histograms[kind].edges[0],
          max: evaluation.inDistribution.histograms[kind].edges.at(-1),
        }),
        y: axis('fraction of the set', { min: 0 }),
      },
    },
  };
  return {
    id: `ood-histogram-${kind}`,
    kind: 'chart',
    title: `${SCORE_TITLES[kind]} per image set (checkpoint step ${evaluation.checkpointStep}, ${describePasses(run.config.method, evaluation.draws)})`,
    caption: figureCaption(run),
    width: 700,
    height: 380,
    chart,
  };
}

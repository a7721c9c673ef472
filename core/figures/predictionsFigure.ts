/**
 * The held-out predictions figure (the reference text's three columns, for digits and for noise):
 * per panel image, the image itself, the class probabilities of every posterior draw as
 * translucent bars (where the draws agree the bars stack up dark), and their mean as solid bars,
 * with the predicted class and whether the threshold rule refused it. Chart.js cannot draw
 * images and per-draw overlays well, so this is a canvas figure.
 */
import type { HeldoutEvent, PanelImage } from '../contract/runEvent';
import { describePasses } from '../methods/index';
import { IMAGE_SIZE, MNIST_CLASS_NAMES } from '../data/dataset';
import { classificationTaskOf } from '../experiments/registry';
import { figureCaption } from './caption';
import { figureFont } from './fonts';
import { formatMetric } from './format';
import { palette } from './palette';
import type { Canvas2DContext, CanvasFigureSpec, FigureRun, FigureTable } from './types';

export interface PredictionsFigureOptions {
  /** Names of the ten classes; by default Fashion-MNIST's words for a Fashion-MNIST run, digits otherwise. */
  classNames?: readonly string[];
}

const headerHeight = 36;
/** Below this width the two groups stand one above the other (each needs about 300 px). */
const STACK_BELOW_WIDTH = 620;
const infoWidth = 78;
const gap = 10;
const classLabelHeight = 12;
const font = figureFont;
const drawColour = '#2563eb';
const meanColour = '#1e3a8a';

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i += 1) if (values[i] > values[best]) best = i;
  return best;
}

export function drawImage(ctx: Canvas2DContext, pixels: readonly number[], x: number, y: number, size: number): void {
  const cell = size / IMAGE_SIZE;
  ctx.fillStyle = '#000';
  ctx.fillRect(x, y, size, size);
  for (let row = 0; row < IMAGE_SIZE; row += 1) {
    for (let col = 0; col < IMAGE_SIZE; col += 1) {
      const grey = Math.round(Math.min(255, Math.max(0, pixels[row * IMAGE_SIZE + col] ?? 0)));
      if (grey === 0) continue;
      ctx.fillStyle = `rgb(${grey},${grey},${grey})`;
      // The extra fraction of a pixel hides seams between cells on fractional scales.
      ctx.fillRect(x + col * cell, y + row * cell, cell + 0.5, cell + 0.5);
    }
  }
}

export interface PlotBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function drawAxesFrame(ctx: Canvas2DContext, box: PlotBox, threshold: number, classCount: number): void {
  ctx.strokeStyle = palette.grid;
  ctx.lineWidth = 1;
  ctx.strokeRect(box.x, box.y, box.width, box.height);
  ctx.fillStyle = palette.text;
  ctx.font = font(9);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const slot = box.width / classCount;
  for (let c = 0; c < classCount; c += 1) ctx.fillText(String(c), box.x + (c + 0.5) * slot, box.y + box.height + 2);
  // The refusal threshold: a prediction is refused when no mean bar reaches this line.
  ctx.save();
  ctx.strokeStyle = palette.refused;
  ctx.globalAlpha = 0.7;
  ctx.setLineDash([3, 3]);
  ctx.beginPath();
  const thresholdY = box.y + box.height * (1 - threshold);
  ctx.moveTo(box.x, thresholdY);
  ctx.lineTo(box.x + box.width, thresholdY);
  ctx.stroke();
  ctx.restore();
}

export function drawBars(
  ctx: Canvas2DContext,
  box: PlotBox,
  probabilities: readonly number[],
  colour: string,
  alpha: number,
): void {
  const slot = box.width / probabilities.length;
  const barWidth = Math.max(1, slot * 0.7);
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.fillStyle = colour;
  probabilities.forEach((p, c) => {
    const height = box.height * Math.min(1, Math.max(0, p));
    ctx.fillRect(box.x + c * slot + (slot - barWidth) / 2, box.y + box.height - height, barWidth, height);
  });
  ctx.restore();
}

function drawRow(
  ctx: Canvas2DContext,
  image: PanelImage,
  x: number,
  y: number,
  width: number,
  rowHeight: number,
  threshold: number,
  classNames: readonly string[],
): void {
  const imageSize = rowHeight - 6;
  drawImage(ctx, image.pixels, x, y + 2, imageSize);

  const predicted = argmax(image.meanProbabilities);
  const confidence = image.meanProbabilities[predicted] ?? 0;
  const infoX = x + imageSize + 8;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillStyle = palette.textStrong;
  ctx.font = font(11);
  ctx.fillText(
    image.label === null ? 'noise' : `true ${classNames[image.label] ?? image.label}`,
    infoX,
    y + 4,
    infoWidth - 6,
  );
  ctx.fillStyle = image.label !== null && predicted !== image.label ? palette.refused : palette.textStrong;
  ctx.fillText(`pred ${classNames[predicted] ?? predicted}`, infoX, y + 18, infoWidth - 6);
  ctx.fillStyle = palette.text;
  ctx.fillText(`p ${formatMetric(confidence)}`, infoX, y + 32, infoWidth - 6);
  if (image.refused) {
    ctx.fillStyle = palette.refused;
    ctx.font = font(11, 700);
    ctx.fillText('refused', infoX, y + 46, infoWidth - 6);
  }

  const plotsX = infoX + infoWidth;
  const plotWidth = (x + width - plotsX - gap) / 2;
  const plotHeight = rowHeight - classLabelHeight - 6;
  const classCount = image.meanProbabilities.length;
  const drawsBox = { x: plotsX, y: y + 3, width: plotWidth, height: plotHeight };
  const meanBox = { x: plotsX + plotWidth + gap, y: y + 3, width: plotWidth, height: plotHeight };
  drawAxesFrame(ctx, drawsBox, threshold, classCount);
  drawAxesFrame(ctx, meanBox, threshold, classCount);
  // Each draw adds a little ink; 1.5/T keeps "all draws agree" dark without drowning one draw.
  const draws = image.drawProbabilities.length;
  const alpha = Math.min(0.5, Math.max(0.04, 1.5 / Math.max(draws, 1)));
  for (const probabilities of image.drawProbabilities) drawBars(ctx, drawsBox, probabilities, drawColour, alpha);
  drawBars(ctx, meanBox, image.meanProbabilities, image.refused ? palette.diagonal : meanColour, 1);
}

function drawGroupHeader(
  ctx: Canvas2DContext,
  title: string,
  x: number,
  width: number,
  imageSize: number,
  /** What the bars are (`T = 50 draws`, `M = 5 members`). */
  passes: string,
): void {
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillStyle = palette.textStrong;
  ctx.font = font(12, 600);
  ctx.fillText(title, x, 2, width);
  ctx.fillStyle = palette.text;
  ctx.font = font(10);
  const plotsX = x + imageSize + 8 + infoWidth;
  const plotWidth = (x + width - plotsX - gap) / 2;
  // Too narrow to label each plot (a single-column export): one line says what both show.
  if (plotWidth < 150) {
    ctx.fillText(`bars: p(class) of ${passes} | their mean; dashed: threshold`, x, 20, width);
    return;
  }
  ctx.fillText(`p(class) of each of ${passes}`, plotsX, 20, plotWidth);
  ctx.fillText('mean p(class); dashed: threshold', plotsX + plotWidth + gap, 20, plotWidth);
}

/** The numbers of the predictions figure: per image, its set, label, prediction, refusal and mean p(class). */
function predictionsTable(evaluation: HeldoutEvent | null, classNames: readonly string[]): FigureTable {
  const classes = evaluation?.panel[0]?.meanProbabilities.length ?? classNames.length;
  const columns = [
    'image',
    'set',
    'true class',
    'predicted class',
    'refused',
    ...Array.from({ length: classes }, (_, c) => `mean p(${classNames[c] ?? c})`),
  ];
  const rows = (evaluation?.panel ?? []).map((image, i) => {
    const predicted = argmax(image.meanProbabilities);
    return [
      i + 1,
      image.kind,
      image.label === null ? null : (classNames[image.label] ?? image.label),
      classNames[predicted] ?? predicted,
      image.refused ? 'yes' : 'no',
      ...image.meanProbabilities,
    ];
  });
  return { columns, rows };
}

/** Every panel image of the evaluation: held-out digits in the left group, noise images in the right. */
export function predictionsFigure(
  evaluation: HeldoutEvent | null,
  run: FigureRun,
  options: PredictionsFigureOptions = {},
): CanvasFigureSpec {
  const classNames =
    options.classNames ?? classificationTaskOf(run.config)?.classNames(run.config) ?? MNIST_CLASS_NAMES;
  const heldout = evaluation?.panel.filter((image) => image.kind === 'heldout') ?? [];
  const noise = evaluation?.panel.filter((image) => image.kind === 'noise') ?? [];
  const rows = Math.max(heldout.length, noise.length, 1);
  const rowHeight = 66;
  return {
    id: 'predictions',
    kind: 'canvas',
    title: evaluation
      ? `Held-out and noise predictions at step ${evaluation.step} (${describePasses(run.config.method, evaluation.draws)}, threshold ${formatMetric(evaluation.threshold)})`
      : 'Held-out and noise predictions',
    caption: figureCaption(run),
    width: 1000,
    height: headerHeight + rows * rowHeight,
    data: () => predictionsTable(evaluation, classNames),
    heightFor: (width) =>
      width < STACK_BELOW_WIDTH
        ? 2 * headerHeight + (Math.max(heldout.length, 1) + Math.max(noise.length, 1)) * rowHeight
        : headerHeight + rows * rowHeight,
    draw(ctx, width, height) {
      ctx.fillStyle = palette.background;
      ctx.fillRect(0, 0, width, height);
      if (!evaluation) return;
      const groups: [string, PanelImage[]][] = [
        ['Held-out digits', heldout],
        ['Noise images (randn, clipped for display)', noise],
      ];
      // Side by side, or (narrower than two groups fit, e.g. a single-column export) one above the other.
      const stacked = width < STACK_BELOW_WIDTH;
      const groupRows = groups.map(([, images]) => (stacked ? Math.max(images.length, 1) : rows));
      const scaledRow = stacked
        ? (height - 2 * headerHeight) / (groupRows[0] + groupRows[1])
        : (height - headerHeight) / rows;
      const groupWidth = stacked ? width : (width - 3 * gap) / 2;
      groups.forEach(([title, images], g) => {
        ctx.save();
        ctx.translate(
          stacked ? 0 : g * (groupWidth + 3 * gap),
          stacked && g === 1 ? headerHeight + groupRows[0] * scaledRow : 0,
        );
        drawGroupHeader(ctx, title, 0, groupWidth, scaledRow - 6, describePasses(run.config.method, evaluation.draws));
        images.forEach((image, i) =>
          drawRow(ctx, image, 0, headerHeight + i * scaledRow, groupWidth, scaledRow, evaluation.threshold, classNames),
        );
        ctx.restore();
      });
    },
  };
}

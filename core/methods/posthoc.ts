/**
 * The post-hoc methods applied to a stored classification run, worker side: temperature scaling
 * (any trained method) and last-layer Laplace (a deterministic run). Both fit on the validation
 * split the run held out of training (core/methods/temperatureScaling carveValidationSplit, the
 * same seeded split the trainer carved) and are scored on the held-out set before and after, with
 * the one scoring module every method shares (core/scoring/classificationScores).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset, LabelledImages } from '../data/dataset';
import { gatherImages, IMAGE_SIZE } from '../data/dataset';
import { takeValues } from '../engine/readback';
import { drawsOf, logitsOfDraw, type DrawNetwork } from '../evaluation/monteCarlo';
import type { VariationalSequential } from '../models/variationalSequential';
import { scoreClassification } from '../scoring/classificationScores';
import { fitLastLayerLaplace, type LaplaceData } from './laplace';
import type { LaplaceOptions } from './descriptors/laplace';
import { lastLayerFeatures, lastLayerMap } from './networkOutputs';
import type { PointModel } from './pointModel';
import { applyTemperature, carveValidationSplit, fitTemperature, fitTemperatureToDraws } from './temperatureScaling';

export class PosthocError extends Error {
  override name = 'PosthocError';
}

export interface PosthocScores {
  ece: number;
  heldoutNats: number;
  accuracy: number;
  brier: number;
  aurc: number;
}

const IMAGE_SHAPE = [IMAGE_SIZE, IMAGE_SIZE, 1];
const CHUNK = 500;

/** Logits of every pass, draw-major [T, N, C] (the layout of core/metrics' DrawProbabilities). */
async function drawLogits(
  network: VariationalSequential | DrawNetwork,
  images: LabelledImages,
  requestedDraws: number,
  seed: number,
): Promise<{ logits: Float32Array; draws: number; classes: number }> {
  const draws = drawsOf(network, requestedDraws);
  const pixels = IMAGE_SIZE * IMAGE_SIZE;
  let logits: Float32Array | null = null;
  let classes = 0;
  for (let start = 0; start < images.count; start += CHUNK) {
    const size = Math.min(CHUNK, images.count - start);
    const input = tf.tensor(images.images.subarray(start * pixels, (start + size) * pixels), [size, ...IMAGE_SHAPE]);
    try {
      for (let draw = 0; draw < draws; draw += 1) {
        const values = await takeValues(tf.tidy(() => logitsOfDraw(network, input, draw, seed)));
        classes = values.length / size;
        logits ??= new Float32Array(draws * images.count * classes);
        logits.set(values, (draw * images.count + start) * classes);
      }
    } finally {
      input.dispose();
    }
  }
  return { logits: logits ?? new Float32Array(0), draws, classes };
}

function scores(
  probabilities: ArrayLike<number>,
  draws: number,
  images: LabelledImages,
  classes: number,
  hasEpistemicPart: boolean,
): PosthocScores {
  const scored = scoreClassification({ draws, count: images.count, classes, values: probabilities }, images.labels, {
    hasEpistemicPart,
  });
  return {
    ece: scored.ece,
    heldoutNats: scored.heldoutNats,
    accuracy: scored.accuracy,
    brier: scored.brier,
    aurc: scored.aurc,
  };
}

/** The training images the run held out of training (its recorded fraction and seed). */
export function validationImages(dataset: Dataset, fraction: number, seed: number): LabelledImages {
  if (!(fraction > 0)) {
    throw new PosthocError(
      'This run trained on every training image, so no validation split is left to fit on honestly; ' +
        'train it again with a validation fraction above 0 (point-weight runs hold out 0.1 by default).',
    );
  }
  return gatherImages(dataset.train, carveValidationSplit(dataset.train.count, fraction, seed).validation);
}

export interface TemperatureEvaluation {
  before: PosthocScores;
  after: PosthocScores;
  temperature: number;
  validationNllBefore: number;
  validationNllAfter: number;
  atBound: 'lower' | 'upper' | null;
  draws: number;
  validationImages: number;
  heldoutImages: number;
}

/** Fits T on the validation split (the mixture's NLL over the passes) and scores the held-out set at 1 and at T. */
export async function evaluateTemperatureScaling(args: {
  network: VariationalSequential | DrawNetwork;
  validation: LabelledImages;
  heldout: LabelledImages;
  draws: number;
  seed: number;
  hasEpistemicPart: boolean;
}): Promise<TemperatureEvaluation> {
  const fitSet = await drawLogits(args.network, args.validation, args.draws, args.seed);
  const classes = fitSet.classes;
  const fit =
    fitSet.draws === 1
      ? fitTemperature({ logits: fitSet.logits, labels: args.validation.labels, classes })
      : fitTemperatureToDraws({ logits: fitSet.logits, labels: args.validation.labels, classes, draws: fitSet.draws });
  const test = await drawLogits(args.network, args.heldout, args.draws, args.seed);
  // Rows are contiguous in the draw-major layout, so a row-wise softmax of the whole array is per draw and image.
  const at = (temperature: number) =>
    scores(
      applyTemperature(test.logits, classes, temperature),
      test.draws,
      args.heldout,
      classes,
      args.hasEpistemicPart,
    );
  return {
    before: at(1),
    after: at(fit.temperature),
    temperature: fit.temperature,
    validationNllBefore: fit.nllBefore,
    validationNllAfter: fit.nllAfter,
    atBound: fit.atBound,
    draws: test.draws,
    validationImages: args.validation.count,
    heldoutImages: args.heldout.count,
  };
}

export interface LaplaceEvaluation {
  before: PosthocScores;
  after: PosthocScores;
  priorPrecision: number;
  priorPrecisionRule: string;
  hessian: string;
  predictive: string;
  trainingImages: number;
  validationImages: number;
  heldoutImages: number;
}

/** Last-layer Laplace around a deterministic run's MAP: curvature on its training images, δ by the chosen rule. */
export async function evaluateLastLayerLaplace(args: {
  model: PointModel;
  training: LabelledImages;
  validation: LabelledImages;
  heldout: LabelledImages;
  options: LaplaceOptions;
  seed: number;
}): Promise<LaplaceEvaluation> {
  if (args.model.networks.length !== 1 || args.model.samplesAtPrediction) {
    throw new PosthocError('Last-layer Laplace expands around one MAP network; this run is not a deterministic one.');
  }
  const network = args.model.networks[0];
  const featuresOf = (images: LabelledImages): LaplaceData => ({
    ...lastLayerFeatures(network, { values: images.images, count: images.count, inputShape: IMAGE_SHAPE }),
    observations: { kind: 'classification', labels: images.labels },
  });
  const map = lastLayerMap(network);
  const training = featuresOf(args.training);
  const heldout = featuresOf(args.heldout);
  const { laplace, priorPrecision } = fitLastLayerLaplace(map, training, {
    hessian: args.options.hessian,
    priorPrecision:
      args.options.priorPrecision === 'validation'
        ? { kind: 'validation', validation: featuresOf(args.validation) }
        : { kind: 'marginalLikelihood' },
  });
  const before = await drawLogits(args.model, args.heldout, 1, args.seed);
  const classes = before.classes;
  const afterProbabilities =
    args.options.predictive === 'mc'
      ? laplace.predictMonteCarlo(heldout, args.options.samples, args.seed)
      : {
          draws: 1,
          values: laplace.predictProbit(heldout, { centred: args.options.predictive === 'probitCentred' }),
        };
  return {
    before: scores(applyTemperature(before.logits, classes, 1), 1, args.heldout, classes, false),
    after: scores(afterProbabilities.values, afterProbabilities.draws, args.heldout, classes, true),
    priorPrecision: priorPrecision.priorPrecision,
    priorPrecisionRule: priorPrecision.method,
    hessian: args.options.hessian,
    predictive: args.options.predictive,
    trainingImages: args.training.count,
    validationImages: args.validation.count,
    heldoutImages: args.heldout.count,
  };
}

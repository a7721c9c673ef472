/**
 * The post-hoc methods applied to a stored classification run, worker side: temperature scaling
 * (any trained method) and last-layer Laplace (a deterministic run). Both fit on the validation
 * split the run held out of training (core/methods/temperatureScaling carveValidationSplit, the
 * same seeded split the trainer carved) and are scored on the held-out set before and after, with
 * the one scoring module every method shares (core/scoring/classificationScores). Given the
 * out-of-distribution reference sets (the ones `evaluate-ood` uses), each is also separated from the
 * held-out set before and after (AUROC and FPR at 95 % TPR per score, core/ood/verdict), so the
 * post-hoc predictive's OOD detection can be compared with the trained methods'.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset, LabelledImages } from '../data/dataset';
import { gatherImages, IMAGE_SIZE } from '../data/dataset';
import { takeValues } from '../engine/readback';
import { drawsOf, logitsOfDraw, type DrawNetwork } from '../evaluation/monteCarlo';
import type { OodScoreKind } from '../metrics/ood';
import { drawProbabilitiesFromFlat, summarizeDraws } from '../metrics/predictive';
import type { VariationalSequential } from '../models/variationalSequential';
import { epistemicAvailability, scoreClassification } from '../scoring/classificationScores';
import { evaluateOodSets, type ScoreSeparation } from '../ood/verdict';
import { fitLastLayerLaplace, type FeatureSet, type LaplaceData } from './laplace';
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

/** An out-of-distribution image set (unlabelled), as the network takes its images. */
export interface PosthocOodSet {
  name: string;
  count: number;
  images: Float32Array;
}

/** One OOD set separated from the held-out set by the predictive before and after the post-hoc method. */
export interface PosthocOodScores {
  name: string;
  before: Partial<Record<OodScoreKind, ScoreSeparation>>;
  after: Partial<Record<OodScoreKind, ScoreSeparation>>;
}

export interface PosthocOod {
  sets: PosthocOodScores[];
  /** Scores left out before / after, each with its reason (mutual information of one set of probabilities). */
  notApplicable: { before?: Partial<Record<OodScoreKind, string>>; after?: Partial<Record<OodScoreKind, string>> };
}

/** Probabilities of a predictive on one image set: `draws` softmax rows per image, draw-major. */
interface SetProbabilities {
  values: ArrayLike<number>;
  draws: number;
  count: number;
}

/** Per OOD set, the separation from the held-out set of the predictive that gave `heldout` and `sets`. */
function separations(
  heldout: SetProbabilities,
  sets: readonly SetProbabilities[],
  names: readonly string[],
  classes: number,
  hasEpistemicPart: boolean,
) {
  const summary = (set: SetProbabilities) =>
    summarizeDraws(drawProbabilitiesFromFlat(set.values, [set.draws, set.count, classes]));
  const evaluation = evaluateOodSets(
    { name: 'held-out', summary: summary(heldout) },
    sets.map((set, i) => ({ name: names[i], summary: summary(set) })),
    undefined,
    epistemicAvailability(hasEpistemicPart, heldout.draws),
  );
  return {
    scores: evaluation.outOfDistribution.map((set) => set.scores ?? {}),
    notApplicable: evaluation.notApplicable,
  };
}

function oodComparison(
  sets: readonly PosthocOodSet[],
  before: ReturnType<typeof separations>,
  after: ReturnType<typeof separations>,
): PosthocOod {
  return {
    sets: sets.map((set, i) => ({ name: set.name, before: before.scores[i], after: after.scores[i] })),
    notApplicable: {
      ...(before.notApplicable ? { before: before.notApplicable } : {}),
      ...(after.notApplicable ? { after: after.notApplicable } : {}),
    },
  };
}

/** An OOD set as the post-hoc code's image sets (no labels: nothing is scored against a class). */
const unlabelled = (set: PosthocOodSet): LabelledImages => ({
  images: set.images,
  count: set.count,
  labels: new Uint8Array(set.count),
});

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
  /** Present when OOD sets were given. */
  ood?: PosthocOod;
}

/** Fits T on the validation split (the mixture's NLL over the passes) and scores the held-out set at 1 and at T. */
export async function evaluateTemperatureScaling(args: {
  network: VariationalSequential | DrawNetwork;
  validation: LabelledImages;
  heldout: LabelledImages;
  draws: number;
  seed: number;
  hasEpistemicPart: boolean;
  oodSets?: readonly PosthocOodSet[];
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
  let ood: PosthocOod | undefined;
  const oodSets = args.oodSets ?? [];
  if (oodSets.length > 0) {
    const oodLogits: Awaited<ReturnType<typeof drawLogits>>[] = [];
    for (const set of oodSets) oodLogits.push(await drawLogits(args.network, unlabelled(set), args.draws, args.seed));
    const separated = (temperature: number) =>
      separations(
        { values: applyTemperature(test.logits, classes, temperature), draws: test.draws, count: args.heldout.count },
        oodLogits.map((set, i) => ({
          values: applyTemperature(set.logits, classes, temperature),
          draws: set.draws,
          count: oodSets[i].count,
        })),
        oodSets.map((set) => set.name),
        classes,
        args.hasEpistemicPart,
      );
    ood = oodComparison(oodSets, separated(1), separated(fit.temperature));
  }
  return {
    before: at(1),
    after: at(fit.temperature),
    ...(ood ? { ood } : {}),
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
  /** Present when OOD sets were given. */
  ood?: PosthocOod;
}

/** Last-layer Laplace around a deterministic run's MAP: curvature on its training images, δ by the chosen rule. */
export async function evaluateLastLayerLaplace(args: {
  model: PointModel;
  training: LabelledImages;
  validation: LabelledImages;
  heldout: LabelledImages;
  options: LaplaceOptions;
  seed: number;
  oodSets?: readonly PosthocOodSet[];
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
  const predictive = (features: FeatureSet) =>
    args.options.predictive === 'mc'
      ? laplace.predictMonteCarlo(features, args.options.samples, args.seed)
      : {
          draws: 1,
          values: laplace.predictProbit(features, { centred: args.options.predictive === 'probitCentred' }),
        };
  const afterProbabilities = predictive(heldout);
  let ood: PosthocOod | undefined;
  if (args.oodSets && args.oodSets.length > 0) {
    const pointSets: SetProbabilities[] = [];
    const laplaceSets: SetProbabilities[] = [];
    for (const set of args.oodSets) {
      const logits = await drawLogits(args.model, unlabelled(set), 1, args.seed);
      pointSets.push({ values: applyTemperature(logits.logits, classes, 1), draws: 1, count: set.count });
      const probabilities = predictive(featuresOf(unlabelled(set)));
      laplaceSets.push({ values: probabilities.values, draws: probabilities.draws, count: set.count });
    }
    const names = args.oodSets.map((set) => set.name);
    ood = oodComparison(
      args.oodSets,
      separations(
        { values: applyTemperature(before.logits, classes, 1), draws: 1, count: args.heldout.count },
        pointSets,
        names,
        classes,
        false,
      ),
      separations(
        { values: afterProbabilities.values, draws: afterProbabilities.draws, count: args.heldout.count },
        laplaceSets,
        names,
        classes,
        true,
      ),
    );
  }
  return {
    before: scores(applyTemperature(before.logits, classes, 1), 1, args.heldout, classes, false),
    after: scores(afterProbabilities.values, afterProbabilities.draws, args.heldout, classes, true),
    ...(ood ? { ood } : {}),
    priorPrecision: priorPrecision.priorPrecision,
    priorPrecisionRule: priorPrecision.method,
    hessian: args.options.hessian,
    predictive: args.options.predictive,
    trainingImages: args.training.count,
    validationImages: args.validation.count,
    heldoutImages: args.heldout.count,
  };
}

/**
 * The LeNet5 evaluation of every `evalEvery` steps: T posterior draws over held-out images and
 * the reference text's noise images, reduced to held-out nats, accuracy, ECE with its reliability
 * diagram, refusal rates at the threshold, and the Monte Carlo probabilities of a fixed panel of
 * 10 held-out and 10 noise images (the reference text's three-column figure).
 */
import type { HeldoutEvent, PanelImage } from '../../contract/runEvent';
import type { Lenet5Config } from '../../contract/runConfig';
import { CLASS_COUNT, PIXELS_PER_IMAGE, type Dataset } from '../../data/dataset';
import { gaussianNoiseImages } from '../../data/noise';
import { drawsOf, monteCarloProbabilities, type DrawNetwork } from '../../evaluation/monteCarlo';
import { HeldoutAccumulator } from '../../metrics/heldout';
import { refusalRate } from '../../metrics/ood';
import { summarizeDraws } from '../../metrics/predictive';
import { scoreClassification, thinRiskCoverage } from '../../scoring/classificationScores';
import type { VariationalSequential } from '../../models/variationalSequential';
import { LENET5_INPUT_SHAPE } from './network';

export const PANEL_SIZE = 10;
/** Noise images per evaluation: a refusal rate to ±4.5 % (binomial, 95 %). */
export const NOISE_IMAGES = 500;

export interface EvaluationSet {
  heldoutImages: Float32Array;
  heldoutLabels: Uint8Array;
  heldoutCount: number;
  noiseImages: Float32Array;
  noiseCount: number;
}

export type ClassifierEvaluation = Omit<HeldoutEvent, 'type' | 'runId' | 'step' | 'time'>;

/** The first `limit` held-out images (all when null) and the seeded `randn` noise images. */
export function makeEvaluationSet(
  dataset: Dataset,
  config: Pick<Lenet5Config, 'seed'>,
  seed: number,
  limit: number | null,
): EvaluationSet {
  const heldoutCount = Math.min(limit ?? dataset.heldout.count, dataset.heldout.count);
  return {
    heldoutImages: dataset.heldout.images.subarray(0, heldoutCount * PIXELS_PER_IMAGE),
    heldoutLabels: dataset.heldout.labels.subarray(0, heldoutCount),
    heldoutCount,
    noiseImages: gaussianNoiseImages(NOISE_IMAGES, seed ^ config.seed),
    noiseCount: NOISE_IMAGES,
  };
}

export async function evaluateClassifier(
  network: VariationalSequential | DrawNetwork,
  set: EvaluationSet,
  config: Pick<Lenet5Config, 'evalDraws' | 'threshold'>,
  seed: number,
  hasEpistemicPart = true,
  /** How the draws are computed: on this thread by default, or shared with data-parallel helpers. */
  probabilities: typeof monteCarloProbabilities = monteCarloProbabilities,
): Promise<ClassifierEvaluation> {
  const started = performance.now();
  const common = { network, imageShape: LENET5_INPUT_SHAPE, classes: CLASS_COUNT, draws: config.evalDraws, seed };
  const heldout = await probabilities({ ...common, images: set.heldoutImages, count: set.heldoutCount });
  const noise = await probabilities({ ...common, images: set.noiseImages, count: set.noiseCount });
  const accumulator = new HeldoutAccumulator(config.threshold);
  const heldoutSummary = accumulator.add(heldout, set.heldoutLabels);
  const metrics = accumulator.result();
  const noiseSummary = summarizeDraws(noise);
  // Brier and AURC from the one scoring module every method shares (its ECE and nats equal the accumulator's).
  const scores = scoreClassification(heldout, set.heldoutLabels, { hasEpistemicPart });
  const heldoutMean = heldoutSummary.meanProbabilities;
  const noiseMean = noiseSummary.meanProbabilities;

  const panelImage = (
    kind: PanelImage['kind'],
    mc: typeof heldout,
    mean: Float64Array,
    images: Float32Array,
    index: number,
    label: number | null,
  ): PanelImage => {
    const drawProbabilities = Array.from({ length: mc.draws }, (_, draw) =>
      Array.from(
        mc.values.subarray((draw * mc.count + index) * CLASS_COUNT, (draw * mc.count + index + 1) * CLASS_COUNT),
      ),
    );
    const meanProbabilitiesOfImage = Array.from(mean.subarray(index * CLASS_COUNT, (index + 1) * CLASS_COUNT));
    const pixels = Array.from(images.subarray(index * PIXELS_PER_IMAGE, (index + 1) * PIXELS_PER_IMAGE), (v) =>
      Math.round(Math.min(1, Math.max(0, v)) * 255),
    );
    return {
      kind,
      label,
      pixels,
      drawProbabilities,
      meanProbabilities: meanProbabilitiesOfImage,
      refused: Math.max(...meanProbabilitiesOfImage) < config.threshold,
    };
  };
  const panel = [
    ...Array.from({ length: Math.min(PANEL_SIZE, set.heldoutCount) }, (_, i) =>
      panelImage('heldout', heldout, heldoutMean, set.heldoutImages, i, set.heldoutLabels[i]),
    ),
    ...Array.from({ length: Math.min(PANEL_SIZE, set.noiseCount) }, (_, i) =>
      panelImage('noise', noise, noiseMean, set.noiseImages, i, null),
    ),
  ];
  const maxProbabilityNoise = noiseSummary.maxProbability.reduce((sum, p) => sum + p, 0);

  return {
    heldoutNats: metrics.heldoutNats,
    accuracy: metrics.accuracy,
    ece: metrics.expectedCalibrationError,
    brier: scores.brier,
    aurc: scores.aurc,
    riskCoverage: thinRiskCoverage(scores.riskCoverage),
    // An empty bin has no confidence or accuracy; the event carries 0 with count 0.
    reliability: metrics.reliability.map((bin) => ({
      ...bin,
      meanConfidence: bin.meanConfidence ?? 0,
      accuracy: bin.accuracy ?? 0,
    })),
    // The passes actually made: 1 for a deterministic net, M for an ensemble, T otherwise.
    draws: drawsOf(network, config.evalDraws),
    images: set.heldoutCount,
    threshold: config.threshold,
    digitRefusal: metrics.refusalRate,
    noiseRefusal: refusalRate(noiseSummary.maxProbability, config.threshold),
    meanMaxProbabilityNoise: maxProbabilityNoise / Math.max(set.noiseCount, 1),
    panel,
    evalSeconds: (performance.now() - started) / 1000,
  };
}

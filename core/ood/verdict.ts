/**
 * The network's verdict on one image from T posterior draws, the refusal threshold calibrated on
 * held-out digits, and the out-of-distribution evaluation that compares sets of images.
 *
 * For draws p_t = p(· | x, w_t), t = 1…T (see core/metrics/predictive.ts for the formulas):
 *   p̄ = (1/T) Σ_t p_t,  predicted class = argmax p̄,  max probability = max_c p̄_c,
 *   predictive entropy H[p̄] (total), expected entropy E_t H[p_t] (aleatoric),
 *   mutual information I = H[p̄] − E_t H[p_t] (epistemic, Gal 2016 §3.3.1),
 *   refused ⇔ max_c p̄_c < threshold (the reference text's rule uses 0.2).
 *
 * The calibrated threshold accepts 95 % of held-out digits: the largest τ with
 * #{max-probability ≥ τ} ≥ ⌈0.95 n⌉ (ties at τ accepted). AUROC and FPR at 95 % TPR take the
 * held-out digits as the positives and are computed per score, each oriented so that a larger
 * value means "more likely out of distribution" (core/metrics/ood.ts).
 */
import { acceptanceThreshold, auroc, fprAtTpr, oodScores, type OodScoreKind } from '../metrics/ood';
import { MetricsError, summarizeDraws, type DrawProbabilities, type PredictiveSummary } from '../metrics/predictive';
import type { EpistemicAvailability } from '../scoring/classificationScores';

/** A malformed verdict or evaluation input; the message quotes the offending value. */
export class OodVerdictError extends Error {
  override name = 'OodVerdictError';
}

export const DEFAULT_REFUSAL_THRESHOLD = 0.2;
export const CALIBRATION_ACCEPT_FRACTION = 0.95;
export const OOD_SCORE_KINDS: readonly OodScoreKind[] = ['maxProbability', 'predictiveEntropy', 'mutualInformation'];

export interface ImageVerdict {
  meanProbabilities: number[];
  predictedClass: number;
  maxProbability: number;
  predictiveEntropy: number;
  expectedEntropy: number;
  mutualInformation: number;
  refused: boolean;
  threshold: number;
}

function checkThreshold(threshold: number): void {
  if (!(threshold >= 0 && threshold <= 1))
    throw new OodVerdictError(`A refusal threshold must be a probability in [0, 1], found ${threshold}.`);
}

/** Refusal by the max-probability rule: no class's mean probability reaches the threshold. */
export function isRefused(meanProbabilities: readonly number[], threshold: number): boolean {
  checkThreshold(threshold);
  return Math.max(...meanProbabilities) < threshold;
}

/** The verdicts of the `count` images of `draws` (draw-major [T, N, C]). */
export function verdictsFromDraws(draws: DrawProbabilities, threshold = DEFAULT_REFUSAL_THRESHOLD): ImageVerdict[] {
  checkThreshold(threshold);
  let summary: PredictiveSummary;
  try {
    summary = summarizeDraws(draws);
  } catch (error) {
    throw new OodVerdictError(error instanceof MetricsError ? error.message : String(error));
  }
  return Array.from({ length: summary.count }, (_, n) => {
    const meanProbabilities = Array.from(
      summary.meanProbabilities.subarray(n * summary.classes, (n + 1) * summary.classes),
    );
    return {
      meanProbabilities,
      predictedClass: summary.predictedClass[n],
      maxProbability: summary.maxProbability[n],
      predictiveEntropy: summary.predictiveEntropy[n],
      expectedEntropy: summary.expectedEntropy[n],
      mutualInformation: summary.mutualInformation[n],
      refused: summary.maxProbability[n] < threshold,
      threshold,
    };
  });
}

/** The per-draw probabilities [T][C] of image `index` of draw-major values. */
export function drawRowsOf(draws: DrawProbabilities, index: number): number[][] {
  return Array.from({ length: draws.draws }, (_, t) => {
    const offset = (t * draws.count + index) * draws.classes;
    return Array.from({ length: draws.classes }, (_, c) => draws.values[offset + c]);
  });
}

/** The threshold that accepts (max-probability ≥ τ) `acceptFraction` of the given max-probabilities. */
export function calibrateRefusalThreshold(
  maxProbabilities: ArrayLike<number>,
  acceptFraction = CALIBRATION_ACCEPT_FRACTION,
): number {
  if (maxProbabilities.length === 0)
    throw new OodVerdictError('No held-out max-probabilities were given; calibration needs at least one.');
  const negated = Float64Array.from(maxProbabilities, (p) => -p);
  return -acceptanceThreshold(negated, acceptFraction);
}

/** Fraction of the set the max-probability rule refuses at `threshold`. */
export function refusedFraction(maxProbabilities: ArrayLike<number>, threshold: number): number {
  checkThreshold(threshold);
  if (maxProbabilities.length === 0) return 0;
  let refused = 0;
  for (let i = 0; i < maxProbabilities.length; i += 1) if (maxProbabilities[i] < threshold) refused += 1;
  return refused / maxProbabilities.length;
}

export interface ScoreHistogram {
  /** Bin edges (bins + 1 values); values beyond the last edge count in the last bin. */
  edges: number[];
  counts: number[];
}

/** Fixed ranges, so the histograms of two runs (and two sets) can be laid over each other. */
export const SCORE_HISTOGRAM_RANGES: Record<OodScoreKind, [number, number]> = {
  maxProbability: [0, 1],
  predictiveEntropy: [0, Math.log(10)],
  mutualInformation: [0, Math.log(10) / 2],
};
export const SCORE_HISTOGRAM_BINS = 20;

export function histogram(
  values: ArrayLike<number>,
  [low, high]: [number, number],
  bins = SCORE_HISTOGRAM_BINS,
): ScoreHistogram {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i += 1) {
    const bin = Math.floor(((values[i] - low) / (high - low)) * bins);
    counts[Math.min(bins - 1, Math.max(0, bin))] += 1;
  }
  return { edges: Array.from({ length: bins + 1 }, (_, b) => low + ((high - low) * b) / bins), counts };
}

/** The raw (un-negated) score of each example: what the histograms show. */
export function rawScores(summary: PredictiveSummary, kind: OodScoreKind): Float64Array {
  return kind === 'maxProbability' ? Float64Array.from(summary.maxProbability) : oodScores(summary, kind);
}

export interface ScoreSeparation {
  auroc: number;
  fprAt95Tpr: number;
}

export interface OodSetEvaluation {
  name: string;
  count: number;
  meanMaxProbability: number;
  /** Refused by the max-probability rule at the run's threshold (0.2 by default) and at the calibrated one. */
  refusedAtThreshold: number;
  refusedAtCalibrated: number;
  /**
   * Separation from the in-distribution set per score (absent for the in-distribution set itself);
   * mutual information is left out when the predictive has no epistemic part (see
   * OodEvaluationCore.notApplicable), rather than reported as a useless AUROC of 0.5.
   */
  scores?: Partial<Record<OodScoreKind, ScoreSeparation>>;
  histograms: Record<OodScoreKind, ScoreHistogram>;
}

export interface OodEvaluationCore {
  threshold: number;
  calibratedThreshold: number;
  acceptFraction: number;
  inDistribution: OodSetEvaluation;
  outOfDistribution: OodSetEvaluation[];
  /** Scores that do not apply to this predictive, each with the reason (mutual information of a point method). */
  notApplicable?: Partial<Record<OodScoreKind, string>>;
}

function setEvaluation(
  name: string,
  summary: PredictiveSummary,
  threshold: number,
  calibrated: number,
  reference?: PredictiveSummary,
  applicable: readonly OodScoreKind[] = OOD_SCORE_KINDS,
): OodSetEvaluation {
  if (summary.count === 0)
    throw new OodVerdictError(`The image set "${name}" is empty; an evaluation needs at least one image per set.`);
  const kinds = OOD_SCORE_KINDS;
  const histograms = Object.fromEntries(
    kinds.map((kind) => [kind, histogram(rawScores(summary, kind), SCORE_HISTOGRAM_RANGES[kind])]),
  ) as Record<OodScoreKind, ScoreHistogram>;
  const scores = reference
    ? (Object.fromEntries(
        applicable.map((kind) => {
          const inScores = oodScores(reference, kind);
          const outScores = oodScores(summary, kind);
          return [
            kind,
            {
              auroc: auroc(inScores, outScores),
              fprAt95Tpr: fprAtTpr(inScores, outScores, CALIBRATION_ACCEPT_FRACTION),
            },
          ];
        }),
      ) as Partial<Record<OodScoreKind, ScoreSeparation>>)
    : undefined;
  const meanMax = summary.maxProbability.reduce((sum, p) => sum + p, 0) / summary.count;
  return {
    name,
    count: summary.count,
    meanMaxProbability: meanMax,
    refusedAtThreshold: refusedFraction(summary.maxProbability, threshold),
    refusedAtCalibrated: refusedFraction(summary.maxProbability, calibrated),
    ...(scores ? { scores } : {}),
    histograms,
  };
}

/**
 * The in-distribution set (held-out digits) against each named out-of-distribution set. With
 * `epistemic` unavailable (a point method: core/scoring/classificationScores epistemicAvailability),
 * mutual information gets no AUROC / FPR95, only its reason under `notApplicable`.
 */
export function evaluateOodSets(
  inDistribution: { name: string; summary: PredictiveSummary },
  outOfDistribution: { name: string; summary: PredictiveSummary }[],
  threshold = DEFAULT_REFUSAL_THRESHOLD,
  epistemic: EpistemicAvailability = { available: true },
): OodEvaluationCore {
  checkThreshold(threshold);
  const calibratedThreshold = calibrateRefusalThreshold(inDistribution.summary.maxProbability);
  const applicable = epistemic.available
    ? OOD_SCORE_KINDS
    : OOD_SCORE_KINDS.filter((kind) => kind !== 'mutualInformation');
  return {
    threshold,
    calibratedThreshold,
    acceptFraction: CALIBRATION_ACCEPT_FRACTION,
    inDistribution: setEvaluation(inDistribution.name, inDistribution.summary, threshold, calibratedThreshold),
    outOfDistribution: outOfDistribution.map((set) =>
      setEvaluation(set.name, set.summary, threshold, calibratedThreshold, inDistribution.summary, applicable),
    ),
    ...(epistemic.available ? {} : { notApplicable: { mutualInformation: epistemic.reason } }),
  };
}

/**
 * Scores of a shift evaluation, from Monte Carlo class probabilities (core/scoring does the
 * arithmetic: accuracy, NLL, Brier, ECE over 15 bins, entropy, mutual information, OOD AUROC), and
 * the data of the paper's figure 3: confidence histograms and, per threshold τ, how many
 * predictions have confidence max_c p̄_c ≥ τ and how accurate those are.
 */
import type { ConfidenceSet, ShiftLevelScores } from '../contract/shift';
import { MetricsError, type DrawProbabilities, type PredictiveSummary } from '../metrics/predictive';
import {
  ClassificationScorer,
  scoreOutOfDistribution,
  type EpistemicAvailability,
} from '../scoring/classificationScores';

/** τ = 0, 0.01, … 0.99: the paper's figure-3 axis. */
export const CONFIDENCE_THRESHOLDS: readonly number[] = Array.from({ length: 100 }, (_, i) => i / 100);
/** 20 equal-width confidence bins over [0, 1]. */
export const CONFIDENCE_HISTOGRAM_EDGES: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 20);

export interface ScoredLevel {
  scores: ShiftLevelScores;
  summary: PredictiveSummary;
}

/** The scores of one shift level's predictions, and their per-example summary (for OOD AUROC and figure 3). */
export function scoreShiftLevel(
  level: number,
  probabilities: DrawProbabilities,
  labels: ArrayLike<number>,
  hasEpistemicPart: boolean,
): ScoredLevel & { epistemic: EpistemicAvailability } {
  const scorer = new ClassificationScorer({ hasEpistemicPart });
  const summary = scorer.add(probabilities, labels);
  const scores = scorer.result();
  return {
    scores: {
      level,
      count: scores.count,
      accuracy: scores.accuracy,
      // Held-out nats are the mean log probability of the true label; NLL is its negative.
      nll: Math.max(0, -scores.heldoutNats),
      brier: scores.brier,
      ece: scores.ece,
      meanEntropy: scores.meanPredictiveEntropy,
      meanMutualInformation: scores.meanMutualInformation,
    },
    summary,
    epistemic: scores.epistemic,
  };
}

/** AUROC per score of telling an OOD set from the unshifted held-out images. */
export function oodAurocs(
  inDistribution: PredictiveSummary,
  outOfDistribution: PredictiveSummary,
  epistemic: EpistemicAvailability,
): { predictiveEntropy: number; maxProbability: number; mutualInformation: number | null } {
  const scores = scoreOutOfDistribution(inDistribution, outOfDistribution, epistemic);
  const aurocOf = (score: (typeof scores)[keyof typeof scores]) => ('auroc' in score ? score.auroc : null);
  return {
    predictiveEntropy: aurocOf(scores.predictiveEntropy)!,
    maxProbability: aurocOf(scores.maxProbability)!,
    mutualInformation: aurocOf(scores.mutualInformation),
  };
}

/** One set's figure-3 data; `labels` only for the held-out set (accuracy above τ). */
export function confidenceSet(
  name: string,
  role: ConfidenceSet['role'],
  summary: PredictiveSummary,
  labels: ArrayLike<number> | null,
): ConfidenceSet {
  if (summary.count === 0) throw new MetricsError(`The set "${name}" has no predictions to draw confidences from.`);
  const bins = CONFIDENCE_HISTOGRAM_EDGES.length - 1;
  const histogram = new Array<number>(bins).fill(0);
  for (const confidence of summary.maxProbability) {
    histogram[Math.min(bins - 1, Math.max(0, Math.floor(confidence * bins)))] += 1;
  }
  const countAtThreshold: number[] = [];
  const accuracyAtThreshold: (number | null)[] = [];
  for (const threshold of CONFIDENCE_THRESHOLDS) {
    let count = 0;
    let correct = 0;
    for (let n = 0; n < summary.count; n += 1) {
      if (summary.maxProbability[n] < threshold) continue;
      count += 1;
      if (labels && summary.predictedClass[n] === labels[n]) correct += 1;
    }
    countAtThreshold.push(count);
    accuracyAtThreshold.push(labels && count > 0 ? correct / count : null);
  }
  return { name, role, count: summary.count, histogram, countAtThreshold, accuracyAtThreshold };
}

/**
 * Out-of-distribution detection from per-example uncertainty scores.
 *
 * Scores are oriented so that a higher value means "more likely out of distribution" (entropy,
 * mutual information); max-probability, where higher means in-distribution, is negated by
 * `oodScores`. Then, with in-distribution scores s_i and OOD scores s_o:
 *   AUROC = P(s_o > s_i) + ½ P(s_o = s_i)          (Mann–Whitney U / (n_i n_o), ties count half)
 *   threshold τ accepting a fraction q of in-distribution examples: the ⌈q·n_i⌉-th smallest s_i;
 *     an example is accepted when s ≤ τ (ties at τ are accepted, so at least q is accepted)
 *   FPR at q TPR = fraction of OOD examples accepted by that τ  (Hendrycks & Gimpel 2017).
 */
import { MetricsError, type PredictiveSummary } from './predictive';

export type OodScoreKind = 'maxProbability' | 'predictiveEntropy' | 'mutualInformation';

/** Per-example scores of a kind, oriented higher = more OOD (max-probability is negated). */
export function oodScores(summary: PredictiveSummary, kind: OodScoreKind): Float64Array {
  switch (kind) {
    case 'maxProbability':
      return summary.maxProbability.map((p) => -p);
    case 'predictiveEntropy':
      return Float64Array.from(summary.predictiveEntropy);
    case 'mutualInformation':
      return Float64Array.from(summary.mutualInformation);
  }
}

/** Concatenates the scores of several batches. */
export function concatScores(parts: ArrayLike<number>[]): Float64Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const joined = new Float64Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

function checkScores(scores: ArrayLike<number>, what: string): void {
  if (scores.length === 0) throw new MetricsError(`No ${what} scores were given; at least one is needed.`);
  for (let i = 0; i < scores.length; i += 1) {
    if (Number.isNaN(scores[i])) throw new MetricsError(`The ${what} score at index ${i} is NaN.`);
  }
}

/** AUROC for telling OOD (positives) from in-distribution examples; ties count half. */
export function auroc(inDistributionScores: ArrayLike<number>, outOfDistributionScores: ArrayLike<number>): number {
  checkScores(inDistributionScores, 'in-distribution');
  checkScores(outOfDistributionScores, 'out-of-distribution');
  const inCount = inDistributionScores.length;
  const outCount = outOfDistributionScores.length;
  const pooled = [
    ...Array.from(inDistributionScores, (score) => ({ score, isOut: false })),
    ...Array.from(outOfDistributionScores, (score) => ({ score, isOut: true })),
  ].sort((a, b) => a.score - b.score);
  // Sum of the OOD examples' ranks, tied runs sharing their mean rank (1-based).
  let outRankSum = 0;
  for (let start = 0; start < pooled.length;) {
    let end = start;
    while (end + 1 < pooled.length && pooled[end + 1].score === pooled[start].score) end += 1;
    const meanRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k += 1) if (pooled[k].isOut) outRankSum += meanRank;
    start = end + 1;
  }
  const mannWhitneyU = outRankSum - (outCount * (outCount + 1)) / 2;
  return mannWhitneyU / (inCount * outCount);
}

/** τ such that accepting s ≤ τ accepts at least `acceptFraction` of the in-distribution scores. */
export function acceptanceThreshold(inDistributionScores: ArrayLike<number>, acceptFraction = 0.95): number {
  checkScores(inDistributionScores, 'in-distribution');
  if (!(acceptFraction > 0 && acceptFraction <= 1)) {
    throw new MetricsError(`The accepted fraction must be in (0, 1], found ${acceptFraction}.`);
  }
  const sorted = Float64Array.from(inDistributionScores).sort();
  // The small epsilon keeps 0.95 × 1000 = 950 from becoming 951 through rounding.
  const rank = Math.max(1, Math.ceil(acceptFraction * sorted.length - 1e-9));
  return sorted[rank - 1];
}

/** Fraction of scores accepted (s ≤ τ). */
export function acceptedFraction(scores: ArrayLike<number>, threshold: number): number {
  let accepted = 0;
  for (let i = 0; i < scores.length; i += 1) if (scores[i] <= threshold) accepted += 1;
  return scores.length > 0 ? accepted / scores.length : 0;
}

/** FPR at a TPR: the fraction of OOD examples accepted by the threshold that accepts `tpr` of the in-distribution ones. */
export function fprAtTpr(
  inDistributionScores: ArrayLike<number>,
  outOfDistributionScores: ArrayLike<number>,
  tpr = 0.95,
): number {
  checkScores(outOfDistributionScores, 'out-of-distribution');
  return acceptedFraction(outOfDistributionScores, acceptanceThreshold(inDistributionScores, tpr));
}

/** Fraction refused by the max-probability rule: max_c p̄_c < threshold (the text's rule uses 0.2). */
export function refusalRate(maxProbabilities: ArrayLike<number>, threshold: number): number {
  if (maxProbabilities.length === 0) throw new MetricsError('No max-probabilities were given; at least one is needed.');
  let refused = 0;
  for (let i = 0; i < maxProbabilities.length; i += 1) if (maxProbabilities[i] < threshold) refused += 1;
  return refused / maxProbabilities.length;
}

export interface OodReport {
  kind: OodScoreKind;
  auroc: number;
  /** The fraction of in-distribution examples the threshold accepts (0.95 by default). */
  tpr: number;
  /** Fraction of OOD examples accepted at that TPR. */
  fprAtTpr: number;
  /**
   * The calibrated threshold in the score's own units: for maxProbability, accept when
   * max_c p̄_c ≥ threshold; for the others, accept when the score ≤ threshold.
   */
  threshold: number;
  /** Fraction of OOD examples refused by that threshold (1 − FPR). */
  outOfDistributionRefused: number;
}

/** AUROC, FPR at (by default) 95 % TPR and the calibrated threshold for one score kind. */
export function oodReport(
  inDistribution: PredictiveSummary,
  outOfDistribution: PredictiveSummary,
  kind: OodScoreKind,
  acceptFraction = 0.95,
): OodReport {
  const inScores = oodScores(inDistribution, kind);
  const outScores = oodScores(outOfDistribution, kind);
  const threshold = acceptanceThreshold(inScores, acceptFraction);
  const fpr = acceptedFraction(outScores, threshold);
  return {
    kind,
    auroc: auroc(inScores, outScores),
    tpr: acceptFraction,
    fprAtTpr: fpr,
    threshold: kind === 'maxProbability' ? -threshold : threshold,
    outOfDistributionRefused: 1 - fpr,
  };
}

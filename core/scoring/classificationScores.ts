/**
 * The scores of a classifier, whatever the method (VI, deterministic, MC dropout, ensemble,
 * temperature-scaled, Laplace): one implementation for the dashboard, compare, reports, CSV and
 * the CLI. Pure functions of plain arrays (no tfjs), so host, worker and CLI share them.
 *
 * With p̄_n the predictive class probabilities of example n (the mean over draws / members, or one
 * set for a deterministic or probit predictive), y_n its label and N examples:
 *   accuracy     (1/N) Σ_n 1[argmax_k p̄_nk = y_n]
 *   held-out nats (1/N) Σ_n log p̄_n,y_n  (DESIGN.md's sign: ≤ 0, higher is better; NLL = −nats)
 *   Brier        (1/N) Σ_n Σ_k (p̄_nk − 1[y_n = k])²   (Brier 1950; as Ovadia et al. 2019 report it)
 *   ECE          15 equal-width bins of the top-label confidence (Guo et al. 2017; Ovadia et al. 2019)
 *   AURC         area under the risk–coverage curve (Geifman & El-Yaniv 2017; Geifman et al. 2019):
 *                sort by confidence descending; risk(k/N) = errors among the k most confident / k;
 *                AURC = (1/N) Σ_{k=1..N} risk(k/N).
 * Nats, accuracy and ECE are core/metrics/heldout's HeldoutAccumulator (one definition in the app).
 */
import { ECE_BIN_COUNT, type ReliabilityBin } from '../metrics/calibration';
import { HeldoutAccumulator } from '../metrics/heldout';
import { oodReport, type OodReport, type OodScoreKind } from '../metrics/ood';
import { concatSummaries, MetricsError, type DrawProbabilities, type PredictiveSummary } from '../metrics/predictive';

/** (1/N) Σ_n Σ_k (p_nk − 1[y_n = k])² over example-major probabilities p[n·C + k]. */
export function brierScore(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  const count = labels.length;
  if (count === 0) throw new MetricsError('The Brier score needs at least one example; none were given.');
  if (probabilities.length !== count * classes) {
    throw new MetricsError(
      `${count} examples of ${classes} classes need ${count * classes} probabilities; found ${probabilities.length}.`,
    );
  }
  let total = 0;
  for (let n = 0; n < count; n += 1) {
    const label = labels[n];
    for (let k = 0; k < classes; k += 1) {
      const difference = probabilities[n * classes + k] - (k === label ? 1 : 0);
      total += difference * difference;
    }
  }
  return total / count;
}

export interface RiskCoverageCurve {
  /** k/N for k = 1..N. */
  coverage: Float64Array;
  /** Errors among the k most confident examples, divided by k. */
  risk: Float64Array;
}

/**
 * The risk–coverage curve of selective classification. Examples are ranked by confidence,
 * highest first. Equal confidences (common in float32, where many predictions saturate at 1)
 * have no order of their own, so within a tied group the curve takes the expectation over a random
 * order: after j of a group of g examples holding e errors, E[errors] = (errors before) + j·e/g.
 */
export function riskCoverageCurve(
  confidence: ArrayLike<number>,
  correct: ArrayLike<boolean | number>,
): RiskCoverageCurve {
  const count = confidence.length;
  if (count === 0) throw new MetricsError('The risk–coverage curve needs at least one example; none were given.');
  if (correct.length !== count)
    throw new MetricsError(`There are ${count} confidences but ${correct.length} correctness flags.`);
  const order = Array.from({ length: count }, (_, n) => n).sort((a, b) => confidence[b] - confidence[a]);
  const coverage = new Float64Array(count);
  const risk = new Float64Array(count);
  let errorsBefore = 0;
  for (let start = 0; start < count;) {
    let end = start;
    while (end + 1 < count && confidence[order[end + 1]] === confidence[order[start]]) end += 1;
    const groupSize = end - start + 1;
    let groupErrors = 0;
    for (let k = start; k <= end; k += 1) if (!correct[order[k]]) groupErrors += 1;
    for (let j = 1; j <= groupSize; j += 1) {
      const covered = start + j;
      coverage[covered - 1] = covered / count;
      risk[covered - 1] = (errorsBefore + (j * groupErrors) / groupSize) / covered;
    }
    errorsBefore += groupErrors;
    start = end + 1;
  }
  return { coverage, risk };
}

/**
 * The curve at most `points` coverages k/N, evenly spaced in k and always including the last, for
 * events and figures (a 10,000-image curve need not travel whole); rounded to 5 decimals.
 */
export function thinRiskCoverage(curve: RiskCoverageCurve, points = 101): { coverage: number[]; risk: number[] } {
  const count = curve.coverage.length;
  const kept = count <= points ? count : points;
  const indices = Array.from({ length: kept }, (_, i) =>
    kept === count ? i : Math.round(((i + 1) * count) / kept) - 1,
  );
  const round = (value: number) => Math.round(value * 1e5) / 1e5;
  return { coverage: indices.map((i) => round(curve.coverage[i])), risk: indices.map((i) => round(curve.risk[i])) };
}

/** Area under the risk–coverage curve: the mean of its N risks. Lower is better. */
export function areaUnderRiskCoverage(curve: RiskCoverageCurve): number {
  return curve.risk.reduce((sum, value) => sum + value, 0) / curve.risk.length;
}

/** Whether mutual information (the epistemic part) can be reported, and if not, why. */
export type EpistemicAvailability = { available: true } | { available: false; reason: string };

/**
 * Mutual information needs a predictive that averages over weights *and* per-draw probabilities:
 * a method without an epistemic part gives 0 by construction, and a closed-form predictive (the
 * probit approximation of Laplace) gives one set of probabilities per example.
 */
export function epistemicAvailability(methodHasEpistemicPart: boolean, draws: number): EpistemicAvailability {
  if (!methodHasEpistemicPart) {
    return {
      available: false,
      reason:
        'not applicable: the method has no epistemic part (one set of point weights), so mutual information would be 0 by construction',
    };
  }
  if (draws < 2) {
    return {
      available: false,
      reason:
        'not applicable: the predictive was computed in closed form, one set of probabilities per example, with no draws to take mutual information over',
    };
  }
  return { available: true };
}

export interface ClassificationScores {
  count: number;
  /** Draws (or members) averaged per prediction; 1 for a deterministic or closed-form predictive. */
  draws: number;
  accuracy: number;
  heldoutNats: number;
  brier: number;
  ece: number;
  reliability: ReliabilityBin[];
  aurc: number;
  riskCoverage: RiskCoverageCurve;
  meanPredictiveEntropy: number;
  /** Null when mutual information is not applicable (see `epistemic`). */
  meanMutualInformation: number | null;
  epistemic: EpistemicAvailability;
}

export interface ClassificationScorerOptions {
  /** The method's capability (core/methods `hasEpistemicPart`). */
  hasEpistemicPart: boolean;
}

/**
 * Scores a held-out set batch by batch (so a worker never holds every draw of every image at
 * once); `summaries()` returns the per-example summaries for OOD scoring.
 */
export class ClassificationScorer {
  private readonly heldout = new HeldoutAccumulator(undefined, ECE_BIN_COUNT);
  private readonly parts: PredictiveSummary[] = [];
  private readonly labelParts: ArrayLike<number>[] = [];
  private brierSum = 0;

  constructor(private readonly options: ClassificationScorerOptions) {}

  add(probabilities: DrawProbabilities, labels: ArrayLike<number>): PredictiveSummary {
    const summary = this.heldout.add(probabilities, labels);
    this.brierSum += brierScore(summary.meanProbabilities, labels, summary.classes) * summary.count;
    this.parts.push(summary);
    this.labelParts.push(labels);
    return summary;
  }

  /** Every example's summary so far, in the order added. */
  summary(): PredictiveSummary {
    return concatSummaries(this.parts);
  }

  result(): ClassificationScores {
    const heldout = this.heldout.result();
    const summary = this.summary();
    const labels = this.labelParts.flatMap((part) => Array.from(part));
    const correct = Array.from(summary.predictedClass, (predicted, n) => predicted === labels[n]);
    const riskCoverage = riskCoverageCurve(summary.maxProbability, correct);
    const epistemic = epistemicAvailability(this.options.hasEpistemicPart, heldout.draws);
    return {
      count: heldout.count,
      draws: heldout.draws,
      accuracy: heldout.accuracy,
      heldoutNats: heldout.heldoutNats,
      brier: this.brierSum / heldout.count,
      ece: heldout.expectedCalibrationError,
      reliability: heldout.reliability,
      aurc: areaUnderRiskCoverage(riskCoverage),
      riskCoverage,
      meanPredictiveEntropy: heldout.meanPredictiveEntropy,
      meanMutualInformation: epistemic.available ? heldout.meanMutualInformation : null,
      epistemic,
    };
  }
}

/** All held-out scores of one set of predictions at once. */
export function scoreClassification(
  probabilities: DrawProbabilities,
  labels: ArrayLike<number>,
  options: ClassificationScorerOptions,
): ClassificationScores {
  const scorer = new ClassificationScorer(options);
  scorer.add(probabilities, labels);
  return scorer.result();
}

export type OodScore = OodReport | { kind: OodScoreKind; applicable: false; reason: string };

export const OOD_SCORE_KINDS: readonly OodScoreKind[] = ['predictiveEntropy', 'mutualInformation', 'maxProbability'];

/**
 * OOD AUROC and FPR at 95 % TPR (core/metrics/ood) for entropy, mutual information and max
 * probability; mutual information is reported as not applicable, with the reason, when the
 * predictive has no epistemic part — never as zeros, which would read as a useless detector.
 */
export function scoreOutOfDistribution(
  inDistribution: PredictiveSummary,
  outOfDistribution: PredictiveSummary,
  epistemic: EpistemicAvailability,
  acceptFraction = 0.95,
): Record<OodScoreKind, OodScore> {
  const score = (kind: OodScoreKind): OodScore =>
    kind === 'mutualInformation' && !epistemic.available
      ? { kind, applicable: false, reason: epistemic.reason }
      : oodReport(inDistribution, outOfDistribution, kind, acceptFraction);
  return {
    predictiveEntropy: score('predictiveEntropy'),
    mutualInformation: score('mutualInformation'),
    maxProbability: score('maxProbability'),
  };
}

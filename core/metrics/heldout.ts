/**
 * Held-out evaluation of a Bayesian classifier, accumulated batch by batch (evaluation of T draws
 * over the whole held-out set at once overruns wasm's heap).
 *
 *   held-out nats = (1/N) Σ_n log( (1/T) Σ_t p(y_n | x_n, w_t) )
 *
 * the log of the Monte Carlo predictive probability of the TRUE label — not the mean over all
 * classes of the log (a bug in some published versions). Higher is better; 0 is perfect.
 * Accuracy is that of the mean prediction argmax_c p̄_c; calibration as in ./calibration.
 */
import { ReliabilityBins, type ReliabilityBin } from './calibration';
import { MetricsError, summarizeDraws, type DrawProbabilities, type PredictiveSummary } from './predictive';

/**
 * Floor on p̄(y_n) before the log, so that one example whose true class got probability 0 in
 * float32 counts as log(1e-30) ≈ −69 nats instead of making the mean −∞.
 */
export const TRUE_LABEL_PROBABILITY_FLOOR = 1e-30;

/** The refusal rule of the reference text: refuse when no class reaches 0.2. */
export const DEFAULT_REFUSAL_THRESHOLD = 0.2;

export interface HeldoutMetrics {
  count: number;
  draws: number;
  heldoutNats: number;
  accuracy: number;
  expectedCalibrationError: number;
  reliability: ReliabilityBin[];
  meanPredictiveEntropy: number;
  meanExpectedEntropy: number;
  meanMutualInformation: number;
  refusalThreshold: number;
  /** Fraction of examples with max_c p̄_c < refusalThreshold. */
  refusalRate: number;
  /** Accuracy over the examples that were not refused; null when all were refused. */
  acceptedAccuracy: number | null;
}

export class HeldoutAccumulator {
  private count = 0;
  private draws: number | null = null;
  private logTrueProbabilitySum = 0;
  private correct = 0;
  private refused = 0;
  private acceptedCorrect = 0;
  private predictiveEntropySum = 0;
  private expectedEntropySum = 0;
  private mutualInformationSum = 0;
  private readonly reliability: ReliabilityBins;

  constructor(
    readonly refusalThreshold = DEFAULT_REFUSAL_THRESHOLD,
    binCount?: number,
  ) {
    if (!(refusalThreshold >= 0 && refusalThreshold <= 1)) {
      throw new MetricsError(`The refusal threshold must be a probability in [0, 1], found ${refusalThreshold}.`);
    }
    this.reliability = new ReliabilityBins(binCount);
  }

  /** Adds one batch; returns its per-example summary (for OOD scores, panels). */
  add(probabilities: DrawProbabilities, labels: ArrayLike<number>): PredictiveSummary {
    if (labels.length !== probabilities.count) {
      throw new MetricsError(`The batch has ${probabilities.count} examples but ${labels.length} labels.`);
    }
    if (this.draws !== null && this.draws !== probabilities.draws) {
      throw new MetricsError(
        `Every batch must use the same number of draws: ${this.draws} so far, found ${probabilities.draws}.`,
      );
    }
    const summary = summarizeDraws(probabilities);
    const { classes } = summary;
    for (let n = 0; n < summary.count; n += 1) {
      const label = labels[n];
      if (!Number.isInteger(label) || label < 0 || label >= classes) {
        throw new MetricsError(`Label ${label} of example ${n} is not a class index in 0..${classes - 1}.`);
      }
      const trueProbability = summary.meanProbabilities[n * classes + label];
      this.logTrueProbabilitySum += Math.log(Math.max(trueProbability, TRUE_LABEL_PROBABILITY_FLOOR));
      const isCorrect = summary.predictedClass[n] === label;
      if (isCorrect) this.correct += 1;
      this.reliability.add(summary.maxProbability[n], isCorrect);
      if (summary.maxProbability[n] < this.refusalThreshold) this.refused += 1;
      else if (isCorrect) this.acceptedCorrect += 1;
      this.predictiveEntropySum += summary.predictiveEntropy[n];
      this.expectedEntropySum += summary.expectedEntropy[n];
      this.mutualInformationSum += summary.mutualInformation[n];
    }
    this.count += summary.count;
    this.draws = probabilities.draws;
    return summary;
  }

  result(): HeldoutMetrics {
    if (this.count === 0) throw new MetricsError('No held-out examples were added; evaluate at least one batch first.');
    const accepted = this.count - this.refused;
    return {
      count: this.count,
      draws: this.draws ?? 0,
      heldoutNats: this.logTrueProbabilitySum / this.count,
      accuracy: this.correct / this.count,
      expectedCalibrationError: this.reliability.expectedCalibrationError(),
      reliability: this.reliability.bins(),
      meanPredictiveEntropy: this.predictiveEntropySum / this.count,
      meanExpectedEntropy: this.expectedEntropySum / this.count,
      meanMutualInformation: this.mutualInformationSum / this.count,
      refusalThreshold: this.refusalThreshold,
      refusalRate: this.refused / this.count,
      acceptedAccuracy: accepted > 0 ? this.acceptedCorrect / accepted : null,
    };
  }
}

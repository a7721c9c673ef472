/**
 * Calibration: expected calibration error and reliability-diagram data (Guo et al. 2017,
 * "On Calibration of Modern Neural Networks", eq. 3). Confidence = max_c p̄_c. With M equal-width
 * bins B_m = ((m−1)/M, m/M] (a confidence of exactly 0 goes to the first bin),
 *   ECE = Σ_m (|B_m| / N) · |acc(B_m) − conf(B_m)|,
 * acc(B_m) the fraction of correct predictions in the bin, conf(B_m) its mean confidence.
 * Streaming: add batches, read at the end.
 */
import { MetricsError } from './predictive';

export const ECE_BIN_COUNT = 15;

export interface ReliabilityBin {
  /** (lower, upper]: the bin's confidence range. */
  lower: number;
  upper: number;
  count: number;
  /** Mean confidence of the bin's examples; null when the bin is empty. */
  meanConfidence: number | null;
  /** Fraction of the bin's predictions that were right; null when the bin is empty. */
  accuracy: number | null;
}

export class ReliabilityBins {
  private readonly counts: Float64Array;
  private readonly confidenceSums: Float64Array;
  private readonly correctCounts: Float64Array;

  constructor(readonly binCount = ECE_BIN_COUNT) {
    if (!Number.isInteger(binCount) || binCount < 1) {
      throw new MetricsError(`The number of calibration bins must be a positive integer, found ${binCount}.`);
    }
    this.counts = new Float64Array(binCount);
    this.confidenceSums = new Float64Array(binCount);
    this.correctCounts = new Float64Array(binCount);
  }

  /** The bin of a confidence: ⌈conf·M⌉ − 1, so that bins are closed on the right. */
  binOf(confidence: number): number {
    if (!(confidence >= 0 && confidence <= 1 + 1e-6)) {
      throw new MetricsError(`A confidence in [0, 1] expected, found ${confidence}; are these probabilities?`);
    }
    return Math.min(this.binCount - 1, Math.max(0, Math.ceil(confidence * this.binCount) - 1));
  }

  add(confidence: number, correct: boolean): void {
    const bin = this.binOf(confidence);
    this.counts[bin] += 1;
    this.confidenceSums[bin] += confidence;
    if (correct) this.correctCounts[bin] += 1;
  }

  get total(): number {
    return this.counts.reduce((sum, count) => sum + count, 0);
  }

  bins(): ReliabilityBin[] {
    return Array.from(this.counts, (count, m) => ({
      lower: m / this.binCount,
      upper: (m + 1) / this.binCount,
      count,
      meanConfidence: count > 0 ? this.confidenceSums[m] / count : null,
      accuracy: count > 0 ? this.correctCounts[m] / count : null,
    }));
  }

  /** ECE as defined in the module comment; 0 when nothing was added. */
  expectedCalibrationError(): number {
    const total = this.total;
    if (total === 0) return 0;
    let ece = 0;
    for (let m = 0; m < this.binCount; m += 1) {
      const count = this.counts[m];
      if (count > 0) ece += (count / total) * Math.abs(this.correctCounts[m] / count - this.confidenceSums[m] / count);
    }
    return ece;
  }
}

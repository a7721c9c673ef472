/**
 * Held-out figures of a Bayesian classifier from T posterior draws p_t(c | x_n):
 * - held-out nats = (1/N) Σ_n log((1/T) Σ_t p_t(y_n | x_n)), the log predictive probability of the
 *   TRUE label (not the mean of the log over all classes, a bug some published versions carry);
 * - accuracy of the mean prediction p̄(c | x) = (1/T) Σ_t p_t(c | x);
 * - expected calibration error over 15 equal-width confidence bins (Guo et al. 2017):
 *   ECE = Σ_b (n_b / N) |acc_b − conf_b|, with the per-bin counts of the reliability diagram.
 */
import type { MonteCarloProbabilities } from '../evaluation/monteCarlo';

export const ECE_BINS = 15;
/** Floor of a predictive probability before its log: a float32 softmax can round to exactly 0. */
const PROBABILITY_FLOOR = 1e-12;

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  meanConfidence: number;
  accuracy: number;
}

export interface ClassificationMetrics {
  heldoutNats: number;
  accuracy: number;
  ece: number;
  reliability: ReliabilityBin[];
}

/** Metrics from Monte Carlo probabilities ([draw][image][class]) and the true labels. */
export function classificationMetrics(mc: MonteCarloProbabilities, labels: ArrayLike<number>, bins = ECE_BINS): ClassificationMetrics {
  const { draws, count, classes, probabilities } = mc;
  if (labels.length !== count) throw new RangeError(`Expected ${count} labels for ${count} images, found ${labels.length}.`);
  const mean = new Float64Array(count * classes);
  for (let draw = 0; draw < draws; draw += 1) {
    const offset = draw * count * classes;
    for (let i = 0; i < count * classes; i += 1) mean[i] += probabilities[offset + i] / draws;
  }
  const confidences = new Float64Array(count);
  const correct = new Uint8Array(count);
  let logProbabilityTotal = 0;
  for (let n = 0; n < count; n += 1) {
    let best = 0;
    for (let c = 1; c < classes; c += 1) if (mean[n * classes + c] > mean[n * classes + best]) best = c;
    confidences[n] = mean[n * classes + best];
    correct[n] = best === labels[n] ? 1 : 0;
    logProbabilityTotal += Math.log(Math.max(mean[n * classes + labels[n]], PROBABILITY_FLOOR));
  }
  const { ece, reliability } = expectedCalibrationError(confidences, correct, bins);
  return {
    heldoutNats: logProbabilityTotal / count,
    accuracy: correct.reduce((a, b) => a + b, 0) / count,
    ece,
    reliability,
  };
}

/** ECE over `bins` equal-width bins of confidence in [0, 1] (a confidence of 1 falls in the last bin). */
export function expectedCalibrationError(confidences: ArrayLike<number>, correct: ArrayLike<number>, bins = ECE_BINS): { ece: number; reliability: ReliabilityBin[] } {
  const count = new Array<number>(bins).fill(0);
  const confidenceSum = new Array<number>(bins).fill(0);
  const correctSum = new Array<number>(bins).fill(0);
  for (let n = 0; n < confidences.length; n += 1) {
    const bin = Math.min(bins - 1, Math.floor(confidences[n] * bins));
    count[bin] += 1;
    confidenceSum[bin] += confidences[n];
    correctSum[bin] += correct[n];
  }
  let ece = 0;
  const reliability = count.map((binCount, b) => {
    const meanConfidence = binCount > 0 ? confidenceSum[b] / binCount : 0;
    const accuracy = binCount > 0 ? correctSum[b] / binCount : 0;
    ece += (binCount / Math.max(confidences.length, 1)) * Math.abs(accuracy - meanConfidence);
    return { lower: b / bins, upper: (b + 1) / bins, count: binCount, meanConfidence, accuracy };
  });
  return { ece, reliability };
}

/** Fraction of images whose largest mean class probability is below `threshold` (refused). */
export function refusalRate(meanProbabilities: ArrayLike<number>, classes: number, threshold: number): number {
  const count = meanProbabilities.length / classes;
  let refused = 0;
  for (let n = 0; n < count; n += 1) {
    let largest = 0;
    for (let c = 0; c < classes; c += 1) largest = Math.max(largest, meanProbabilities[n * classes + c]);
    if (largest < threshold) refused += 1;
  }
  return count > 0 ? refused / count : 0;
}

/**
 * The Monte Carlo predictive distribution of a Bayesian classifier and its uncertainty split.
 *
 * Given T posterior draws w_t ~ q(w) and their class probabilities p_t = p(· | x, w_t):
 *   mean prediction     p̄ = (1/T) Σ_t p_t
 *   predictive entropy  H[p̄] = −Σ_c p̄_c log p̄_c                         (total uncertainty)
 *   expected entropy    E_t H[p_t] = −(1/T) Σ_t Σ_c p_tc log p_tc        (aleatoric)
 *   mutual information  I = H[p̄] − E_t H[p_t] ≥ 0                       (epistemic)
 * (Gal 2016, "Uncertainty in Deep Learning", §3.3.1; Depeweg et al. 2018.) Logs are natural: nats.
 */

/** A malformed metrics input; the message quotes the offending value. */
export class MetricsError extends Error {
  override name = 'MetricsError';
}

/**
 * Class probabilities of T posterior draws for N examples, draw-major:
 * `values[(t·N + n)·C + c] = p(c | x_n, w_t)`, the layout of a [T, N, C] tensor.
 */
export interface DrawProbabilities {
  values: ArrayLike<number>;
  draws: number;
  count: number;
  classes: number;
}

/** From nested arrays [T][N][C] (tests, small inputs). */
export function drawProbabilitiesFromNested(nested: number[][][]): DrawProbabilities {
  const draws = nested.length;
  const count = draws > 0 ? nested[0].length : 0;
  const classes = count > 0 ? nested[0][0].length : 0;
  const values = new Float64Array(draws * count * classes);
  nested.forEach((drawRows, t) => {
    if (drawRows.length !== count) {
      throw new MetricsError(`Draw ${t} has ${drawRows.length} examples; every draw must have ${count}.`);
    }
    drawRows.forEach((row, n) => {
      if (row.length !== classes) {
        throw new MetricsError(`Draw ${t}, example ${n} has ${row.length} class probabilities; ${classes} expected.`);
      }
      values.set(row, (t * count + n) * classes);
    });
  });
  return { values, draws, count, classes };
}

/** From a flat array shaped [T, N, C] (what `await tensor.data()` returns for a [T, N, C] tensor). */
export function drawProbabilitiesFromFlat(values: ArrayLike<number>, shape: readonly number[]): DrawProbabilities {
  if (shape.length !== 3) {
    throw new MetricsError(
      `Draw probabilities must be shaped [draws, examples, classes]; found shape [${shape.join(', ')}].`,
    );
  }
  const [draws, count, classes] = shape;
  if (values.length !== draws * count * classes) {
    throw new MetricsError(
      `Shape [${shape.join(', ')}] needs ${draws * count * classes} values; found ${values.length}.`,
    );
  }
  return { values, draws, count, classes };
}

/** Per-example summaries of the predictive distribution of one batch (see the module comment). */
export interface PredictiveSummary {
  count: number;
  classes: number;
  /** p̄, example-major: meanProbabilities[n·C + c]. */
  meanProbabilities: Float64Array;
  /** argmax_c p̄_c (the lowest class index on ties). */
  predictedClass: Int32Array;
  /** max_c p̄_c: the confidence used by ECE and by the refusal rule. */
  maxProbability: Float64Array;
  predictiveEntropy: Float64Array;
  expectedEntropy: Float64Array;
  mutualInformation: Float64Array;
}

/** −Σ p log p with 0 log 0 = 0. */
export function entropy(probabilities: ArrayLike<number>, offset = 0, length = probabilities.length): number {
  let sum = 0;
  for (let c = 0; c < length; c += 1) {
    const p = probabilities[offset + c];
    if (p > 0) sum -= p * Math.log(p);
  }
  return sum;
}

function checkDrawProbabilities(input: DrawProbabilities): void {
  const { draws, count, classes, values } = input;
  if (!(draws >= 1 && count >= 0 && classes >= 2) || values.length !== draws * count * classes) {
    throw new MetricsError(
      `Draw probabilities need at least 1 draw and 2 classes and draws × examples × classes values; ` +
        `found ${draws} draws, ${count} examples, ${classes} classes and ${values.length} values.`,
    );
  }
}

export function summarizeDraws(input: DrawProbabilities): PredictiveSummary {
  checkDrawProbabilities(input);
  const { values, draws, count, classes } = input;
  const meanProbabilities = new Float64Array(count * classes);
  const expectedEntropy = new Float64Array(count);
  for (let t = 0; t < draws; t += 1) {
    for (let n = 0; n < count; n += 1) {
      const offset = (t * count + n) * classes;
      for (let c = 0; c < classes; c += 1) meanProbabilities[n * classes + c] += values[offset + c];
      expectedEntropy[n] += entropy(values, offset, classes);
    }
  }
  const predictedClass = new Int32Array(count);
  const maxProbability = new Float64Array(count);
  const predictiveEntropy = new Float64Array(count);
  const mutualInformation = new Float64Array(count);
  for (let n = 0; n < count; n += 1) {
    let best = 0;
    for (let c = 0; c < classes; c += 1) {
      meanProbabilities[n * classes + c] /= draws;
      if (meanProbabilities[n * classes + c] > meanProbabilities[n * classes + best]) best = c;
    }
    predictedClass[n] = best;
    maxProbability[n] = meanProbabilities[n * classes + best];
    expectedEntropy[n] /= draws;
    predictiveEntropy[n] = entropy(meanProbabilities, n * classes, classes);
    // Jensen: H[p̄] ≥ E H[p_t]; clamp the rounding error of two nearly equal sums.
    mutualInformation[n] = Math.max(0, predictiveEntropy[n] - expectedEntropy[n]);
  }
  return {
    count,
    classes,
    meanProbabilities,
    predictedClass,
    maxProbability,
    predictiveEntropy,
    expectedEntropy,
    mutualInformation,
  };
}

/** Joins the summaries of consecutive batches (same number of classes) into one. */
export function concatSummaries(parts: PredictiveSummary[]): PredictiveSummary {
  if (parts.length === 0) throw new MetricsError('No batch summaries were given; evaluate at least one batch.');
  const classes = parts[0].classes;
  if (parts.some((part) => part.classes !== classes)) {
    throw new MetricsError(
      `Batch summaries disagree on the number of classes: ${parts.map((part) => part.classes).join(', ')}.`,
    );
  }
  const count = parts.reduce((sum, part) => sum + part.count, 0);
  const join = <T extends Float64Array | Int32Array>(
    make: (length: number) => T,
    pick: (part: PredictiveSummary) => T,
    width = 1,
  ): T => {
    const joined = make(count * width);
    let offset = 0;
    for (const part of parts) {
      joined.set(pick(part), offset);
      offset += part.count * width;
    }
    return joined;
  };
  const float = (length: number) => new Float64Array(length);
  return {
    count,
    classes,
    meanProbabilities: join(float, (part) => part.meanProbabilities, classes),
    predictedClass: join(
      (length) => new Int32Array(length),
      (part) => part.predictedClass,
    ),
    maxProbability: join(float, (part) => part.maxProbability),
    predictiveEntropy: join(float, (part) => part.predictiveEntropy),
    expectedEntropy: join(float, (part) => part.expectedEntropy),
    mutualInformation: join(float, (part) => part.mutualInformation),
  };
}

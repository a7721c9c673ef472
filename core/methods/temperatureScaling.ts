/**
 * Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks", §4.2): one
 * scalar T > 0 divides every logit, p_T(k | x) = softmax(z(x) / T)_k, with T chosen to minimise the
 * NLL on a validation split carved from the training set (never the held-out set):
 *
 *   NLL(T) = (1/N) Σ_n [ log Σ_k exp(z_nk / T) − z_n,y_n / T ].
 *
 * In the inverse temperature s = 1/T this is a log-partition function minus a linear term, so it
 * is convex in s with
 *   NLL′(s)  = (1/N) Σ_n ( E_{p_s}[z_n] − z_n,y_n ),     NLL″(s) = (1/N) Σ_n Var_{p_s}(z_n) ≥ 0,
 * and the fit is a safeguarded Newton iteration on NLL′(s) = 0 inside a bracket (bisection whenever
 * a Newton step leaves it): deterministic, and exact to the tolerance. A predictive that averages
 * several softmaxes (VI, MC dropout, an ensemble) divides every draw's logits by the same T and
 * fits the mixture's NLL (`fitTemperatureToDraws`). Pure (no tfjs): the worker downloads the
 * logits once.
 */
import { shuffledIndices } from '../data/batches';
import { SeedStream } from '../random/seedStream';

export class TemperatureScalingError extends Error {
  override name = 'TemperatureScalingError';
}

/** Logits of N examples, example-major: logits[n·C + k]; labels[n] in 0..C−1. */
export interface LabelledLogits {
  logits: ArrayLike<number>;
  labels: ArrayLike<number>;
  classes: number;
}

function checkLabels(labels: ArrayLike<number>, classes: number): void {
  if (!(Number.isInteger(classes) && classes >= 2))
    throw new TemperatureScalingError(`Temperature scaling needs at least 2 classes, found ${classes}.`);
  if (labels.length === 0)
    throw new TemperatureScalingError('Temperature scaling needs at least one validation example; none were given.');
  for (let n = 0; n < labels.length; n += 1) {
    const label = labels[n];
    if (!(Number.isInteger(label) && label >= 0 && label < classes)) {
      throw new TemperatureScalingError(`Label ${label} of example ${n} is not a class index in 0..${classes - 1}.`);
    }
  }
}

function checkLogits({ logits, labels, classes }: LabelledLogits, draws = 1): void {
  checkLabels(labels, classes);
  if (!(Number.isInteger(draws) && draws >= 1))
    throw new TemperatureScalingError(`The number of draws must be a positive whole number, found ${draws}.`);
  const expected = draws * labels.length * classes;
  if (logits.length !== expected) {
    const what =
      draws === 1
        ? `${labels.length} examples of ${classes} classes`
        : `${draws} draws of ${labels.length} examples and ${classes} classes`;
    throw new TemperatureScalingError(`${what} need ${expected} logits; found ${logits.length}.`);
  }
}

/** softmax(z / T) row by row, in float64. T = 1 gives softmax(z) exactly (z / 1 = z). */
export function applyTemperature(logits: ArrayLike<number>, classes: number, temperature: number): Float64Array {
  if (!(temperature > 0 && Number.isFinite(temperature)))
    throw new TemperatureScalingError(`A temperature must be positive and finite, found ${temperature}.`);
  const count = logits.length / classes;
  const probabilities = new Float64Array(logits.length);
  for (let n = 0; n < count; n += 1) {
    const offset = n * classes;
    let max = -Infinity;
    for (let k = 0; k < classes; k += 1) max = Math.max(max, logits[offset + k] / temperature);
    let total = 0;
    for (let k = 0; k < classes; k += 1) {
      const value = Math.exp(logits[offset + k] / temperature - max);
      probabilities[offset + k] = value;
      total += value;
    }
    for (let k = 0; k < classes; k += 1) probabilities[offset + k] /= total;
  }
  return probabilities;
}

interface InverseTemperatureTerms {
  nll: number;
  /** dNLL/ds */
  gradient: number;
  /** d²NLL/ds² */
  curvature: number;
}

/** NLL and its first two derivatives at inverse temperature s (see the module comment). */
function termsAt({ logits, labels, classes }: LabelledLogits, s: number): InverseTemperatureTerms {
  const count = labels.length;
  let nll = 0;
  let gradient = 0;
  let curvature = 0;
  for (let n = 0; n < count; n += 1) {
    const offset = n * classes;
    let max = -Infinity;
    for (let k = 0; k < classes; k += 1) max = Math.max(max, s * logits[offset + k]);
    let partition = 0;
    let first = 0;
    let second = 0;
    for (let k = 0; k < classes; k += 1) {
      const z = logits[offset + k];
      const weight = Math.exp(s * z - max);
      partition += weight;
      first += weight * z;
      second += weight * z * z;
    }
    const meanLogit = first / partition;
    const trueLogit = logits[offset + labels[n]];
    nll += max + Math.log(partition) - s * trueLogit;
    gradient += meanLogit - trueLogit;
    curvature += Math.max(0, second / partition - meanLogit * meanLogit);
  }
  return { nll: nll / count, gradient: gradient / count, curvature: curvature / count };
}

/** Mean NLL of softmax(z / T) on labelled logits, in nats. */
export function temperatureNll(data: LabelledLogits, temperature: number): number {
  checkLogits(data);
  if (!(temperature > 0 && Number.isFinite(temperature)))
    throw new TemperatureScalingError(`A temperature must be positive and finite, found ${temperature}.`);
  return termsAt(data, 1 / temperature).nll;
}

export interface TemperatureFitOptions {
  /** The bracket searched, [minTemperature, maxTemperature]. Default [0.01, 100]. */
  minTemperature?: number;
  maxTemperature?: number;
  /** Stop when the bracket on s = 1/T, or the Newton step, is below tolerance · s. Default 1e-10. */
  tolerance?: number;
  maxIterations?: number;
}

export interface TemperatureFit {
  temperature: number;
  /** Validation NLL at T = 1 and at the fitted T (nats, positive). */
  nllBefore: number;
  nllAfter: number;
  iterations: number;
  /** Set when the minimum lies at an end of the bracket (e.g. the validation set is perfectly classified). */
  atBound: 'lower' | 'upper' | null;
}

/** The options with their defaults, the bracket checked. */
function fitSettings(options: TemperatureFitOptions): Required<TemperatureFitOptions> {
  const settings = { minTemperature: 0.01, maxTemperature: 100, tolerance: 1e-10, maxIterations: 200, ...options };
  if (!(settings.minTemperature > 0 && settings.maxTemperature > settings.minTemperature)) {
    throw new TemperatureScalingError(
      `The temperature bracket must satisfy 0 < min < max; found [${settings.minTemperature}, ${settings.maxTemperature}].`,
    );
  }
  return settings;
}

/** The T minimising the validation NLL (see the module comment). */
export function fitTemperature(data: LabelledLogits, options: TemperatureFitOptions = {}): TemperatureFit {
  checkLogits(data);
  const { minTemperature, maxTemperature, tolerance, maxIterations } = fitSettings(options);
  const nllBefore = termsAt(data, 1).nll;
  let low = 1 / maxTemperature;
  let high = 1 / minTemperature;
  const done = (s: number, iterations: number, atBound: TemperatureFit['atBound']): TemperatureFit => ({
    temperature: 1 / s,
    nllBefore,
    nllAfter: termsAt(data, s).nll,
    iterations,
    atBound,
  });
  // NLL′ is non-decreasing in s: its sign at the ends says whether the minimum is inside.
  if (termsAt(data, low).gradient >= 0) return done(low, 0, 'upper');
  if (termsAt(data, high).gradient <= 0) return done(high, 0, 'lower');
  let s = Math.min(Math.max(1, low), high);
  for (let iteration = 1; iteration <= maxIterations; iteration += 1) {
    const { gradient, curvature } = termsAt(data, s);
    if (gradient === 0) return done(s, iteration, null);
    if (gradient > 0) high = s;
    else low = s;
    if (high - low <= tolerance * s) return done((low + high) / 2, iteration, null);
    const newton = curvature > 0 ? s - gradient / curvature : Number.NaN;
    // Newton converges from one side, so the bracket need not shrink: stop on the step size too.
    if (Math.abs(newton - s) <= tolerance * s) return done(newton, iteration, null);
    s = newton > low && newton < high ? newton : (low + high) / 2;
  }
  return done(s, maxIterations, null);
}

/**
 * Logits of S posterior draws (VI), dropout masks or ensemble members for N examples, draw-major
 * like core/metrics' DrawProbabilities: logits[(s·N + n)·C + k].
 */
export interface LabelledDrawLogits extends LabelledLogits {
  draws: number;
}

/** Mean NLL of the mixture (1/S) Σ_s softmax(z_s / T), in nats. */
export function mixtureTemperatureNll(data: LabelledDrawLogits, temperature: number): number {
  const { logits, labels, classes, draws } = data;
  const count = labels.length;
  checkLogits(data, draws);
  if (!(temperature > 0 && Number.isFinite(temperature)))
    throw new TemperatureScalingError(`A temperature must be positive and finite, found ${temperature}.`);
  let total = 0;
  const logProbabilities = new Float64Array(draws);
  for (let n = 0; n < count; n += 1) {
    for (let s = 0; s < draws; s += 1) {
      const offset = (s * count + n) * classes;
      let max = -Infinity;
      for (let k = 0; k < classes; k += 1) max = Math.max(max, logits[offset + k] / temperature);
      let partition = 0;
      for (let k = 0; k < classes; k += 1) partition += Math.exp(logits[offset + k] / temperature - max);
      logProbabilities[s] = logits[offset + labels[n]] / temperature - max - Math.log(partition);
    }
    let max = -Infinity;
    for (const value of logProbabilities) max = Math.max(max, value);
    let sum = 0;
    for (const value of logProbabilities) sum += Math.exp(value - max);
    total -= max + Math.log(sum / draws);
  }
  return total / count;
}

/**
 * The temperature of a predictive that averages several softmaxes (VI draws, MC-dropout passes,
 * ensemble members): each draw's logits are divided by the same T and the mixture's validation
 * NLL is minimised. The mixture NLL is not convex in 1/T, so the search is a log-spaced grid
 * over [min, max] (10 points per decade) followed by golden-section search on log T in the
 * bracket of the best grid point — deterministic. With one draw it finds fitTemperature's T.
 */
export function fitTemperatureToDraws(data: LabelledDrawLogits, options: TemperatureFitOptions = {}): TemperatureFit {
  checkLogits(data, data.draws);
  const { minTemperature, maxTemperature, tolerance, maxIterations } = fitSettings(options);
  const objective = (logTemperature: number) => mixtureTemperatureNll(data, Math.exp(logTemperature));
  const low = Math.log(minTemperature);
  const high = Math.log(maxTemperature);
  const gridSize = Math.max(3, Math.ceil(((high - low) / Math.LN10) * 10) + 1);
  const grid = Array.from({ length: gridSize }, (_, i) => low + ((high - low) * i) / (gridSize - 1));
  const values = grid.map(objective);
  let best = 0;
  values.forEach((value, i) => {
    if (value < values[best]) best = i;
  });
  const nllBefore = mixtureTemperatureNll(data, 1);
  if (best === 0 || best === gridSize - 1) {
    const temperature = Math.exp(grid[best]);
    return { temperature, nllBefore, nllAfter: values[best], iterations: 0, atBound: best === 0 ? 'lower' : 'upper' };
  }
  // Golden-section search on [grid[best − 1], grid[best + 1]].
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = grid[best - 1];
  let b = grid[best + 1];
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = objective(c);
  let fd = objective(d);
  let iterations = 0;
  while (b - a > tolerance * Math.max(1, Math.abs(a)) && iterations < maxIterations) {
    iterations += 1;
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = objective(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = objective(d);
    }
  }
  const logTemperature = (a + b) / 2;
  return {
    temperature: Math.exp(logTemperature),
    nllBefore,
    nllAfter: objective(logTemperature),
    iterations,
    atBound: null,
  };
}

export interface ValidationSplit {
  /** Training-set indices still used for training, ascending. */
  training: Uint32Array;
  /** Training-set indices held back for validation, ascending. */
  validation: Uint32Array;
}

/**
 * Carves a validation split out of the *training* set: indices 0..trainingCount−1 are shuffled by
 * the seeded Fisher–Yates of core/data/batches (the same seed gives the same split in the trainer,
 * which must leave these examples out, and in the post-hoc fit) and the first
 * round(fraction · trainingCount) become the validation set. The held-out set is never touched:
 * it is not an input. The indices fit core/data/batches' makeBatch.
 */
export function carveValidationSplit(trainingCount: number, fraction: number, seed: number): ValidationSplit {
  if (!(Number.isInteger(trainingCount) && trainingCount >= 2)) {
    throw new TemperatureScalingError(
      `A validation split needs a training set of at least 2 examples, found ${trainingCount}.`,
    );
  }
  if (!(fraction > 0 && fraction < 1))
    throw new TemperatureScalingError(`The validation fraction must be strictly between 0 and 1, found ${fraction}.`);
  const validationCount = Math.min(trainingCount - 1, Math.max(1, Math.round(fraction * trainingCount)));
  const order = shuffledIndices(trainingCount, new SeedStream(seed, 0x7a11da7e));
  return { validation: order.slice(0, validationCount).sort(), training: order.slice(validationCount).sort() };
}

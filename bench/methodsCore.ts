/**
 * `npx tsx bench/methodsCore.ts`: the post-hoc methods' own cost, on inputs of LeNet5's size and
 * without a network (pure float64 code, no tfjs backend involved):
 * - last-layer Laplace fit (curvature at the MAP + marginal-likelihood prior precision) on an
 *   84 → 10 last layer over 9,000 examples of random relu-like features, diagonal and Kronecker;
 *   its probit and 100-sample MC predictive over 1,000 examples;
 * - temperature fit on 1,000 × 10 logits (over-confident by a factor 3).
 * Prints one JSON object: median wall times in ms (of `--repeats`, default 5) and the peak RSS.
 */
import { fitLastLayerLaplace, type HessianStructure } from '../core/methods/laplace';
import { fitTemperature } from '../core/methods/temperatureScaling';
import { SeedStream, standardNormal } from '../core/random/seedStream';

const argv = process.argv.slice(2);
const repeatsIndex = argv.indexOf('--repeats');
const repeats = repeatsIndex >= 0 ? Number(argv[repeatsIndex + 1]) : 5;

const stream = new SeedStream(0);
const trainCount = 9000;
const testCount = 1000;
const inputUnits = 84;
const classes = 10;
/** relu(N(0, 1)): half the features are exactly 0, as after LeNet5's dense1. */
const reluFeatures = (count: number) =>
  Float32Array.from({ length: count * inputUnits }, () => Math.max(0, standardNormal(stream)));
const trainFeatures = reluFeatures(trainCount);
const testFeatures = reluFeatures(testCount);
const kernel = Float32Array.from({ length: inputUnits * classes }, () => 0.3 * standardNormal(stream));
const bias = Float32Array.from({ length: classes }, () => 0.1 * standardNormal(stream));
const labels = Int32Array.from({ length: trainCount }, () => Math.floor(stream.uniform() * classes));
/** Over-confident logits 3z whose labels are drawn from softmax(z): the fit has an interior optimum (T ≈ 3). */
const logits = new Float32Array(testCount * classes);
const logitLabels = new Int32Array(testCount);
for (let n = 0; n < testCount; n += 1) {
  const z = Array.from({ length: classes }, () => 2 * standardNormal(stream));
  const weights = z.map((value) => Math.exp(value - Math.max(...z)));
  let u = stream.uniform() * weights.reduce((a, b) => a + b, 0);
  let label = 0;
  while (label < classes - 1 && u >= weights[label]) u -= weights[label++];
  logitLabels[n] = label;
  z.forEach((value, k) => (logits[n * classes + k] = 3 * value));
}

function medianMs(run: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < repeats; i += 1) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const map = { kernel, bias, inputUnits, outputUnits: classes };
const data = { features: trainFeatures, count: trainCount, observations: { kind: 'classification' as const, labels } };
const test = { features: testFeatures, count: testCount };

const laplace = Object.fromEntries(
  (['diagonal', 'kron'] as HessianStructure[]).map((hessian) => {
    const fit = () => fitLastLayerLaplace(map, data, { hessian, priorPrecision: { kind: 'marginalLikelihood' } });
    const fitted = fit();
    return [
      hessian,
      {
        fitMs: medianMs(fit),
        priorPrecision: fitted.priorPrecision.priorPrecision,
        probitPredictiveMs: medianMs(() => fitted.laplace.predictProbit(test)),
        monteCarloPredictive100Ms: medianMs(() => fitted.laplace.predictMonteCarlo(test, 100, 1)),
      },
    ];
  }),
);

const temperatureFit = fitTemperature({ logits, labels: logitLabels, classes });
const result = {
  laplace: { trainExamples: trainCount, testExamples: testCount, inputUnits, classes, ...laplace },
  temperature: {
    examples: testCount,
    classes,
    fitMs: medianMs(() => fitTemperature({ logits, labels: logitLabels, classes })),
    iterations: temperatureFit.iterations,
    temperature: temperatureFit.temperature,
  },
  repeats,
  // resourceUsage().maxRSS is in kilobytes.
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(JSON.stringify(result, null, 2));

/**
 * `npx tsx bench/posthocSanity.ts [--steps 1500]`: the post-hoc chain end to end on real digits,
 * small enough for a shared machine (not part of `npm run bench`: minutes under load). A point MLP
 * (784 → 128 relu → 10, weight decay 5e-4, Adam 1e-3, batch 128) trains on the bundled training
 * digits minus a seeded 10 % validation split; then, on the 1,000 held-out digits: the deterministic
 * scores, temperature scaling fitted on the validation split, and last-layer Laplace (diagonal and
 * Kronecker, marginal-likelihood prior precision; probit, centred probit, 100-sample MC), with OOD
 * AUROC against 1,000 uniform-noise images. Prints one JSON object.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../core/engine/gradients';
import { makeBatch } from '../core/data/batches';
import { PIXELS_PER_IMAGE, type LabelledImages } from '../core/data/dataset';
import { fitLastLayerLaplace } from '../core/methods/laplace';
import { lastLayerFeatures, lastLayerMap, networkOutputs } from '../core/methods/networkOutputs';
import { classificationMapLoss } from '../core/methods/pointLosses';
import { applyTemperature, carveValidationSplit, fitTemperature } from '../core/methods/temperatureScaling';
import { pointMlpNetwork } from '../core/models/pointNetworks';
import { summarizeDraws, type DrawProbabilities } from '../core/metrics/predictive';
import { SeedStream } from '../core/random/seedStream';
import {
  scoreClassification,
  scoreOutOfDistribution,
  epistemicAvailability,
} from '../core/scoring/classificationScores';
import { workerEnvironment } from '../electron/worker/datasetFiles';
import { initBenchBackend } from './benchBackend';

await initBenchBackend([]);
const dataset = await workerEnvironment.loadDataset('mnist');
const split = carveValidationSplit(dataset.train.count, 0.1, 0);
const pick = (part: LabelledImages, indices: Uint32Array) => {
  const batch = makeBatch(part, indices);
  return { images: batch.images, labels: Int32Array.from(batch.labels), count: batch.size };
};
const train = pick(dataset.train, split.training);
const validation = pick(dataset.train, split.validation);
const heldout = {
  images: dataset.heldout.images,
  labels: Int32Array.from(dataset.heldout.labels),
  count: dataset.heldout.count,
};
const network = pointMlpNetwork({ inputUnits: PIXELS_PER_IMAGE, hiddenUnits: [128], outputs: 10 }, new SeedStream(0));
const optimizer = tf.train.adam(1e-3);
const stream = new SeedStream(1);
const stepsIndex = process.argv.indexOf('--steps');
const steps = stepsIndex >= 0 ? Number(process.argv[stepsIndex + 1]) : 1500;
const started = performance.now();
for (let step = 0; step < steps; step += 1) {
  const idx = Array.from({ length: 128 }, () => Math.floor(stream.uniform() * train.count));
  const x = tf.tensor2d(
    Float32Array.from(
      { length: 128 * PIXELS_PER_IMAGE },
      (_, j) => train.images[idx[Math.floor(j / PIXELS_PER_IMAGE)] * PIXELS_PER_IMAGE + (j % PIXELS_PER_IMAGE)],
    ),
    [128, PIXELS_PER_IMAGE],
  );
  const y = tf.oneHot(
    tf.tensor1d(
      idx.map((i) => train.labels[i]),
      'int32',
    ),
    10,
  );
  optimizer.minimize(
    () => {
      const { loss, memberNll } = classificationMapLoss(network, x, y, 5e-4, { mode: 'sample', seeds: stream });
      memberNll.dispose();
      return loss;
    },
    false,
    network.trainableVariables,
  );
  tf.dispose([x, y]);
}
const trainSeconds = (performance.now() - started) / 1000;
const inputs = (part: { images: Float32Array; count: number }) => ({
  values: part.images,
  count: part.count,
  inputShape: [PIXELS_PER_IMAGE],
});
const oneDraw = (probabilities: Float64Array, count: number): DrawProbabilities => ({
  values: probabilities,
  draws: 1,
  count,
  classes: 10,
});
const heldoutLogits = networkOutputs(network, inputs(heldout)).values;
const validationLogits = networkOutputs(network, inputs(validation)).values;
const noise = { images: Float32Array.from({ length: 1000 * PIXELS_PER_IMAGE }, () => stream.uniform()), count: 1000 };
const noiseLogits = networkOutputs(network, inputs(noise)).values;
const scoresOf = (s: ReturnType<typeof scoreClassification>) => ({
  accuracy: s.accuracy,
  heldoutNats: +s.heldoutNats.toFixed(4),
  brier: +s.brier.toFixed(4),
  ece: +s.ece.toFixed(4),
  aurc: +s.aurc.toFixed(4),
});
const result: Record<string, unknown> = { trainSeconds, steps };
const detProbs = applyTemperature(heldoutLogits, 10, 1);
result.deterministic = scoresOf(
  scoreClassification(oneDraw(detProbs, 1000), heldout.labels, { hasEpistemicPart: false }),
);
const ood = (inProbs: DrawProbabilities, outProbs: DrawProbabilities, epistemic: boolean) => {
  const r = scoreOutOfDistribution(
    summarizeDraws(inProbs),
    summarizeDraws(outProbs),
    epistemicAvailability(epistemic, inProbs.draws),
  );
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, 'auroc' in v ? +v.auroc.toFixed(4) : 'n/a']));
};
result.deterministicOodNoise = ood(oneDraw(detProbs, 1000), oneDraw(applyTemperature(noiseLogits, 10, 1), 1000), false);
const fit = fitTemperature({ logits: validationLogits, labels: validation.labels, classes: 10 });
result.temperature = {
  T: fit.temperature,
  ...scoresOf(
    scoreClassification(oneDraw(applyTemperature(heldoutLogits, 10, fit.temperature), 1000), heldout.labels, {
      hasEpistemicPart: false,
    }),
  ),
};
const features = lastLayerFeatures(network, inputs(train));
const map = lastLayerMap(network);
for (const hessian of ['diagonal', 'kron'] as const) {
  const t0 = performance.now();
  const { laplace, priorPrecision } = fitLastLayerLaplace(
    map,
    { ...features, observations: { kind: 'classification', labels: train.labels } },
    { hessian, priorPrecision: { kind: 'marginalLikelihood' } },
  );
  const fitMs = performance.now() - t0;
  const hf = lastLayerFeatures(network, inputs(heldout));
  const nf = lastLayerFeatures(network, inputs(noise));
  const probit = laplace.predictProbit(hf);
  const mc = laplace.predictMonteCarlo(hf, 100, 5);
  result[`laplace_${hessian}`] = {
    priorPrecision: priorPrecision.priorPrecision,
    fitMs: Math.round(fitMs),
    probit: scoresOf(scoreClassification(oneDraw(probit, 1000), heldout.labels, { hasEpistemicPart: true })),
    probitCentred: scoresOf(
      scoreClassification(oneDraw(laplace.predictProbit(hf, { centred: true }), 1000), heldout.labels, {
        hasEpistemicPart: true,
      }),
    ),
    mc: scoresOf(scoreClassification(mc, heldout.labels, { hasEpistemicPart: true })),
    oodNoiseMc: ood(mc, laplace.predictMonteCarlo(nf, 100, 6), true),
  };
}
result.peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify(result, null, 1));

/**
 * How different a stored LeNet5 deep ensemble's members are: rebuilds each run's members from its
 * checkpoint and scores them on the run's held-out images and on the first 1,000 Fashion-MNIST test
 * images (the set `evaluate-ood` uses). Per run: each member's held-out accuracy, the mixture's,
 * the members' mean pairwise disagreement (fraction of images on which two members' top classes
 * differ) and the mean mutual information (the members' disagreement in nats, the ensemble's
 * epistemic part) on both sets, and the OOD AUROC by predictive entropy (held-out images against
 * those Fashion-MNIST images) of each member alone and of the mixture — the ensemble against its
 * best single member. Members trained on shared minibatches and on their own can be compared run
 * for run. Prints one JSON object.
 *
 *   npx tsx bench/ensembleDiversity.ts RUNDIR [RUNDIR …]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { lenet5ConfigSchema } from '../core/contract/runConfig';
import { setCpuBackend } from '../core/engine/cpuBackend';
import { PointModel } from '../core/methods/pointModel';
import { auroc } from '../core/metrics/ood';
import { lenet5FromCheckpoint } from '../core/ood/checkpointNetwork';
import { deserializeCheckpoint } from '../core/training/checkpoint';
import { readCheckpointFiles } from '../electron/host/checkpointFiles';
import { fashionMnistTestImages } from '../electron/host/oodReferenceSets';
import { workerEnvironment } from '../electron/worker/datasetFiles';

const CHUNK = 500;

/** Each member's class probabilities [M][N·10] on `count` images. */
function memberProbabilities(model: PointModel, images: Float32Array, count: number): Float32Array[] {
  return model.networks.map((_, m) => {
    const out = new Float32Array(count * 10);
    for (let start = 0; start < count; start += CHUNK) {
      const end = Math.min(count, start + CHUNK);
      const probabilities = tf.tidy(() => {
        const input = tf.tensor4d(images.subarray(start * 784, end * 784), [end - start, 28, 28, 1]);
        return tf.softmax(model.drawOutput(input, m, 0));
      });
      out.set(probabilities.dataSync(), start * 10);
      probabilities.dispose();
    }
    return out;
  });
}

const argmax = (p: Float32Array, i: number) => {
  let best = 0;
  for (let c = 1; c < 10; c += 1) if (p[i * 10 + c] > p[i * 10 + best]) best = c;
  return best;
};
const entropy = (row: ArrayLike<number>) => {
  let h = 0;
  for (let c = 0; c < 10; c += 1) if (row[c] > 0) h -= row[c] * Math.log(row[c]);
  return h;
};

/** The members' mean class probabilities [N·10]. */
function mixtureOf(members: Float32Array[]): Float32Array {
  const mixture = new Float32Array(members[0].length);
  for (const p of members) for (let k = 0; k < mixture.length; k += 1) mixture[k] += p[k] / members.length;
  return mixture;
}

const entropies = (p: Float32Array) =>
  Float64Array.from({ length: p.length / 10 }, (_, i) => entropy(p.subarray(i * 10, i * 10 + 10)));

function diversity(members: Float32Array[], count: number) {
  const M = members.length;
  let disagreements = 0;
  let pairs = 0;
  let mutualInformation = 0;
  for (let i = 0; i < count; i += 1) {
    const tops = members.map((p) => argmax(p, i));
    for (let a = 0; a < M; a += 1)
      for (let b = a + 1; b < M; b += 1) {
        pairs += 1;
        if (tops[a] !== tops[b]) disagreements += 1;
      }
    const mixture = new Float64Array(10);
    let expected = 0;
    for (const p of members) {
      const row = p.subarray(i * 10, i * 10 + 10);
      for (let c = 0; c < 10; c += 1) mixture[c] += row[c] / M;
      expected += entropy(row) / M;
    }
    mutualInformation += entropy(mixture) - expected;
  }
  return { pairwiseDisagreement: disagreements / pairs, meanMutualInformation: mutualInformation / count };
}

async function main() {
  await setCpuBackend();
  const fashion = await fashionMnistTestImages(1000);
  const runs = [];
  for (const runDir of process.argv.slice(2)) {
    const record = JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8'));
    const config = lenet5ConfigSchema.parse(record.config);
    const stored = await readCheckpointFiles(runDir);
    if (!stored) throw new Error(`${runDir} has no checkpoint`);
    const checkpoint = deserializeCheckpoint(stored.manifest, stored.values);
    const model = lenet5FromCheckpoint(config, checkpoint.variables);
    if (!(model instanceof PointModel) || !model.ensemble) throw new Error(`${runDir} is not an ensemble run`);
    const heldout = (await workerEnvironment.loadDataset(config.dataset)).heldout;
    const onHeldout = memberProbabilities(model, heldout.images, heldout.count);
    const onFashion = memberProbabilities(model, fashion.images, fashion.count);
    const accuracy = (p: Float32Array) => {
      let hits = 0;
      for (let i = 0; i < heldout.count; i += 1) if (argmax(p, i) === heldout.labels[i]) hits += 1;
      return hits / heldout.count;
    };
    const mixture = mixtureOf(onHeldout);
    const entropyAuroc = (inside: Float32Array, outside: Float32Array) => auroc(entropies(inside), entropies(outside));
    runs.push({
      runDir,
      seed: config.seed,
      members: onHeldout.length,
      checkpointFormat: stored.manifest.format,
      memberAccuracy: onHeldout.map(accuracy),
      mixtureAccuracy: accuracy(mixture),
      heldout: diversity(onHeldout, heldout.count),
      fashionMnist: diversity(onFashion, fashion.count),
      oodAurocByEntropy: {
        members: onHeldout.map((p, m) => entropyAuroc(p, onFashion[m])),
        mixture: entropyAuroc(mixture, mixtureOf(onFashion)),
      },
    });
    model.dispose();
  }
  console.log(JSON.stringify({ backend: tf.getBackend(), runs }));
}

await main();

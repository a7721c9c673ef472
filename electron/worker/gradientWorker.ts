/**
 * Entry point of one helper thread of data-parallel training (gradientPool.ts starts them). It
 * selects the trainer's backend (its own wasm instance: its own core), builds a replica of the
 * network, and for each request copies the published parameters from shared memory, computes the
 * gradient of its slice of the batch (core/training/sliceGradients.ts, never the KL term: the
 * trainer's thread adds that once) and writes it into its own region of the shared gradient buffer.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import '../../core/engine/gradients';
import { registerFastGradients } from '../../core/engine/fastGradients';
import { lenet5Network } from '../../core/experiments/lenet5/network';
import { IMAGE_SIZE } from '../../core/data/dataset';
import { SeedStream } from '../../core/random/seedStream';
import { monteCarloProbabilities, type DrawNetwork } from '../../core/evaluation/monteCarlo';
import { oneDrawProbabilities } from '../../core/evaluation/sharedMonteCarlo';
import { lenet5FromCheckpoint } from '../../core/ood/checkpointNetwork';
import { classifierSliceGradients } from '../../core/training/sliceGradients';
import type { VariationalSequential } from '../../core/models/variationalSequential';
import { selectBackend } from './backend';
import type { BackendChoice } from '../../core/contract/configParts';
import { EVALUATION_NETWORKS_KEPT, type HelperReply, type HelperRequest } from './gradientMessages';

if (!parentPort) {
  throw new Error('electron/worker/gradientWorker.ts must be started as a worker thread, not run directly.');
}
const port = parentPort;

interface Replica {
  network: VariationalSequential;
  variables: tf.Variable[];
  /** Views of the shared parameter buffer and of this helper's gradient region, one per variable. */
  parameters: Float32Array[];
  gradients: Float32Array[];
}
let replica: Replica | undefined;

/** Evaluation helpers keep the networks they were sent, oldest out first (evaluationPool.ts mirrors this). */
const evaluationNetworks = new Map<string, VariationalSequential | (DrawNetwork & { dispose(): void })>();

function views(buffer: SharedArrayBuffer, sizes: number[], firstElement: number): Float32Array[] {
  let offset = firstElement;
  return sizes.map((size) => {
    const view = new Float32Array(buffer, offset * 4, size);
    offset += size;
    return view;
  });
}

async function handle(request: HelperRequest): Promise<HelperReply> {
  if (request.type === 'init') {
    const { spec, parameterBuffer, gradientBuffer, helperIndex } = request;
    await selectBackend(spec.backend as BackendChoice);
    registerFastGradients();
    const network = lenet5Network(spec.network, new SeedStream(0));
    const variables = network.trainableVariables;
    const sizes = variables.map((variable) => variable.size);
    if (sizes.join() !== spec.variableSizes.join()) {
      network.dispose();
      throw new Error(
        `The helper's network has variables of sizes [${sizes.join(', ')}], the trainer's [${spec.variableSizes.join(', ')}]; they must be the same network.`,
      );
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    replica = {
      network,
      variables,
      parameters: views(parameterBuffer, sizes, 0),
      gradients: views(gradientBuffer, sizes, helperIndex * total),
    };
    return { type: 'ready', tensors: tf.memory().numTensors };
  }
  if (request.type === 'evaluator') {
    await selectBackend(request.backend as BackendChoice);
    return { type: 'ready', tensors: tf.memory().numTensors };
  }
  if (request.type === 'evaluationNetwork') {
    evaluationNetworks.get(request.key)?.dispose();
    evaluationNetworks.delete(request.key);
    evaluationNetworks.set(request.key, lenet5FromCheckpoint(request.config, request.variables));
    for (const [key, network] of evaluationNetworks) {
      if (evaluationNetworks.size <= EVALUATION_NETWORKS_KEPT) break;
      network.dispose();
      evaluationNetworks.delete(key);
    }
    return { type: 'ready', tensors: tf.memory().numTensors };
  }
  if (request.type === 'evaluationDraw') {
    const network = evaluationNetworks.get(request.key);
    if (!network) throw new Error(`This evaluation helper holds no network "${request.key}".`);
    const values = await oneDrawProbabilities({ ...request, network });
    return { type: 'probabilities', values, tensors: tf.memory().numTensors };
  }
  if (!replica) throw new Error('A gradient helper was asked for a gradient before it was initialised.');
  const started = performance.now();
  const { network, variables, parameters, gradients } = replica;
  variables.forEach((variable, i) => {
    const value = tf.tensor(parameters[i], variable.shape);
    variable.assign(value);
    value.dispose();
  });
  if (request.type === 'draws') {
    const { values } = await monteCarloProbabilities({ ...request, network });
    return { type: 'probabilities', values, tensors: tf.memory().numTensors };
  }
  const seeds = new SeedStream(request.seeds.seed, request.seeds.salt);
  seeds.seek(request.seeds.position);
  const images = tf.tensor4d(request.images, [request.rows, IMAGE_SIZE, IMAGE_SIZE, 1]);
  const labels = tf.tensor1d(request.labels, 'int32');
  const result = classifierSliceGradients({
    network,
    images,
    labels,
    slice: { start: request.start, fullSize: request.fullSize },
    seeds,
    klWeight: request.klWeight,
    includeKl: false,
    variables,
  });
  try {
    const values = await Promise.all(result.gradients.map((gradient) => gradient.data()));
    values.forEach((value, i) => gradients[i].set(value as Float32Array));
    const [nllSum] = await result.nllSum.data();
    const [correct] = await result.correct.data();
    return { type: 'done', nllSum, correct, tensors: tf.memory().numTensors, computeMs: performance.now() - started };
  } finally {
    tf.dispose([images, labels, ...result.gradients, result.loss, result.nllSum, result.kl, result.correct]);
  }
}

port.on('message', (request: HelperRequest) => {
  handle(request).then(
    // Probabilities are handed over, not copied (50 draws × 1,000 images × 10 classes is 2 MB).
    (reply) => port.postMessage(reply, reply.type === 'probabilities' ? [reply.values.buffer as ArrayBuffer] : []),
    (error: unknown) =>
      port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});

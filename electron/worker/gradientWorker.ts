/**
 * Entry point of one helper thread of data-parallel training (gradientPool.ts starts them). It
 * selects the trainer's backend (its own wasm instance: its own core) and builds a replica of the
 * network. Training steps come through shared memory, not messages (core/training/sharedStepMemory.ts):
 * woken once, the helper takes step after step as the trainer publishes them — its slice's gradient
 * (never the KL term: the trainer's thread adds that once), its shard of the Adam update — blocked
 * in `Atomics.wait` between them, until a message is posted to it (evaluation draws), which it then
 * serves from its event loop.
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
import { helperStep, loadSharedParametersIfStale, type HelperReplica } from '../../core/training/dataParallelStep';
import {
  CONTROL,
  helperStateWord,
  messagesPostedWord,
  SharedStepAborted,
  SharedStepMemory,
} from '../../core/training/sharedStepMemory';
import type { VariationalSequential } from '../../core/models/variationalSequential';
import { selectBackend } from './backend';
import type { BackendChoice } from '../../core/contract/configParts';
import { EVALUATION_NETWORKS_KEPT, type HelperReply, type HelperRequest } from './gradientMessages';

if (!parentPort) {
  throw new Error('electron/worker/gradientWorker.ts must be started as a worker thread, not run directly.');
}
const port = parentPort;

interface Training {
  replica: HelperReplica;
  memory: SharedStepMemory;
  /** This helper's thread number in the step (the trainer's is 0). */
  thread: number;
}
let training: Training | undefined;
/** Messages taken so far other than wake-ups (the pool counts those it posts: messagesPostedWord). */
let messagesTaken = 0;

/** Evaluation helpers keep the networks they were sent, oldest out first (evaluationPool.ts mirrors this). */
const evaluationNetworks = new Map<string, VariationalSequential | (DrawNetwork & { dispose(): void })>();

async function handle(request: HelperRequest): Promise<HelperReply> {
  if (request.type === 'init') {
    const { spec, buffers, helperIndex } = request;
    await selectBackend(spec.backend as BackendChoice);
    registerFastGradients();
    const network = lenet5Network(spec.network, new SeedStream(0));
    const variables = network.trainableVariables;
    const sizes = variables.map((variable) => variable.size);
    if (sizes.join() !== buffers.variableSizes.join()) {
      network.dispose();
      throw new Error(
        `The helper's network has variables of sizes [${sizes.join(', ')}], the trainer's [${buffers.variableSizes.join(', ')}]; they must be the same network.`,
      );
    }
    training = {
      replica: {
        network,
        variables,
        imageShape: [IMAGE_SIZE, IMAGE_SIZE, 1],
        lastStep: 0,
        parametersSeen: -1,
      },
      memory: new SharedStepMemory(buffers),
      thread: helperIndex + 1,
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
  if (request.type === 'wake') throw new Error('A wake-up is not a request.');
  if (!training) throw new Error('A gradient helper was asked for draws before it was initialised.');
  const { replica, memory } = training;
  loadSharedParametersIfStale(memory, replica);
  const { values } = await monteCarloProbabilities({ ...request, network: replica.network });
  return { type: 'probabilities', values, tensors: tf.memory().numTensors };
}

/**
 * Takes steps as the trainer publishes them, blocked between them, until a message is waiting for
 * this helper or a step fails. A step that fails here is reported (and marks the step failed, so no
 * thread waits for this one); a step another thread failed ends the loop quietly.
 */
function serveSteps(): void {
  if (!training) return;
  const { replica, memory, thread } = training;
  const control = memory.control;
  const helper = thread - 1;
  const stateWord = helperStateWord(helper);
  const postedWord = messagesPostedWord(memory.threads, helper);
  for (;;) {
    Atomics.store(control, stateWord, 1);
    for (;;) {
      if (Atomics.load(control, CONTROL.failed) !== 0) break;
      const published = Atomics.load(control, CONTROL.step);
      if (published > replica.lastStep) {
        try {
          helperStep(memory, thread, published, replica);
        } catch (error) {
          Atomics.store(control, stateWord, 0);
          if (error instanceof SharedStepAborted) return;
          memory.fail(thread);
          throw error;
        }
        continue;
      }
      if (Atomics.load(control, postedWord) > messagesTaken) break;
      Atomics.wait(control, CONTROL.step, published, 1000);
    }
    Atomics.store(control, stateWord, 0);
    // A step published after the last look: the trainer saw this helper waiting and sent no wake-up.
    const missed =
      Atomics.load(control, CONTROL.step) > replica.lastStep &&
      Atomics.load(control, postedWord) <= messagesTaken &&
      Atomics.load(control, CONTROL.failed) === 0;
    if (!missed) return;
  }
}

port.on('message', (request: HelperRequest) => {
  if (request.type === 'wake') {
    try {
      serveSteps();
    } catch (error) {
      port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
    return;
  }
  messagesTaken += 1;
  handle(request).then(
    (reply) => {
      // One place for the pool to read this helper's tensor count, whether a step or a reply came last.
      if (training && 'tensors' in reply) training.memory.writeTensors(training.thread, reply.tensors);
      // Probabilities are handed over, not copied (50 draws × 1,000 images × 10 classes is 2 MB).
      port.postMessage(reply, reply.type === 'probabilities' ? [reply.values.buffer as ArrayBuffer] : []);
    },
    (error: unknown) =>
      port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});

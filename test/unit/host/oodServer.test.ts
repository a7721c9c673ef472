/**
 * The worker's classification service in-process (cpu backend): a request waits for a yield point
 * while a run trains and is served at once when idle; the network of a checkpoint is cached, the
 * previous one disposed when a newer checkpoint replaces it, and no tensor outlives the server.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setCpuBackend } from '../../../core/engine/cpuBackend';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { lenet5ConfigSchema } from '../../../core/contract/runConfig';
import { lenet5Network } from '../../../core/experiments/lenet5/network';
import { SeedStream } from '../../../core/random/seedStream';
import { serializeCheckpoint, type SerializedCheckpoint } from '../../../core/training/checkpoint';
import { captureTrainingState } from '../../../core/training/trainingState';
import type { OodReplyMessage, OodRequestMessage } from '../../../electron/worker/messages';
import { OodServer } from '../../../electron/worker/oodServer';

const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', seed: 1 });

async function checkpointAt(step: number, seed: number): Promise<SerializedCheckpoint> {
  const network = lenet5Network(config, new SeedStream(seed).fork(1));
  const optimizer = tf.train.adam(0.001);
  const state = await captureTrainingState({ experiment: 'lenet5', variables: network.trainableVariables, optimizer, seedStreams: {} }, step, step);
  network.dispose();
  optimizer.dispose();
  return serializeCheckpoint(state);
}

function request(checkpoint: SerializedCheckpoint, requestId: number, count = 3): OodRequestMessage {
  const images = new Float32Array(count * 784).map((_, i) => (i % 29) / 29);
  return { type: 'ood', requestId, runId: 'r', config, checkpoint, draws: 4, seed: 7, priority: 'interactive', sets: [{ name: 'images', source: 'pixels', count, images }] };
}

beforeAll(async () => {
  await setCpuBackend();
});

describe('OodServer', () => {
  it('waits for yield points while training, serves when idle, caches one network per checkpoint and frees it', async () => {
    const baseline = tf.memory().numTensors;
    const replies: OodReplyMessage[] = [];
    let training = true;
    const server = new OodServer({
      post: (reply) => replies.push(reply),
      environment: { loadDataset: () => Promise.reject(new Error('no dataset in this test')) },
      isTraining: () => training,
      ensureBackend: async () => tf.getBackend(),
    });
    const first = await checkpointAt(400, 1);
    server.accept(request(first, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(replies).toEqual([]); // training: nothing happens until the run yields
    await server.serveBetweenSteps(10_000);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ requestId: 1, ok: true, backend: 'cpu' });
    expect(replies[0].sets![0].probabilities).toHaveLength(4 * 3 * 10);
    expect(server.cachedNetworks).toBe(1);

    training = false;
    server.accept(request(first, 2));
    await server.pump();
    expect(replies[1].sets![0].probabilities).toEqual(replies[0].sets![0].probabilities); // same checkpoint, same seeded draws
    expect(server.cachedNetworks).toBe(1);

    const second = await checkpointAt(800, 2);
    server.accept(request(second, 3));
    await server.pump();
    expect(replies[2]).toMatchObject({ requestId: 3, ok: true });
    expect(replies[2].sets![0].probabilities).not.toEqual(replies[0].sets![0].probabilities);
    expect(server.cachedNetworks).toBe(1); // the step-400 network was disposed

    server.accept({ ...request(second, 4), sets: [{ name: 'bad', source: 'pixels', count: 2, images: new Float32Array(10) }] });
    await server.pump();
    expect(replies[3]).toMatchObject({ requestId: 4, ok: false, error: 'Image set "bad" has 10 values; 2 images of 28×28 need 1568.' });

    server.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  }, 60_000);
});

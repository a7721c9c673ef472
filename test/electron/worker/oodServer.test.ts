/**
 * The worker's classification service in-process (cpu backend): a request waits for a yield point
 * while a run trains and is served at once when idle; a request names its network by
 * {runId, step, checksum} and the worker reads the checkpoint from the run folder only on a miss
 * (or not at all for a run it trained itself); the network of a run's checkpoint is cached, the
 * previous one disposed when a newer checkpoint replaces it, and no tensor outlives the server.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setCpuBackend } from '../../../core/engine/cpuBackend';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lenet5ConfigSchema } from '../../../core/contract/runConfig';
import { lenet5Network } from '../../../core/experiments/lenet5/network';
import { SeedStream } from '../../../core/random/seedStream';
import {
  deserializeCheckpoint,
  serializeCheckpoint,
  type SerializedCheckpoint,
} from '../../../core/training/checkpoint';
import { writeCheckpointFiles } from '../../../electron/host/checkpointFiles';
import { captureTrainingState } from '../../../core/training/trainingState';
import type { OodReplyMessage, OodRequestMessage } from '../../../electron/worker/messages';
import { OodServer } from '../../../electron/worker/oodServer';

const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', seed: 1 });

async function checkpointAt(step: number, seed: number): Promise<SerializedCheckpoint> {
  const network = lenet5Network(config, new SeedStream(seed).fork(1));
  const optimizer = tf.train.adam(0.001);
  const state = await captureTrainingState(
    { experiment: 'lenet5', variables: network.trainableVariables, optimizer, seedStreams: {} },
    step,
    step,
  );
  network.dispose();
  optimizer.dispose();
  return serializeCheckpoint(state);
}

let runDir: string;

function request(checkpoint: SerializedCheckpoint, requestId: number, count = 3, runId = 'r'): OodRequestMessage {
  const images = new Float32Array(count * 784).map((_, i) => (i % 29) / 29);
  const network = { runDir, step: checkpoint.manifest.step, checksum: checkpoint.manifest.valueChecksum };
  return {
    type: 'ood',
    requestId,
    runId,
    config,
    network,
    draws: 4,
    seed: 7,
    priority: 'interactive',
    sets: [{ name: 'images', source: 'pixels', count, images }],
  };
}

/** Stores the checkpoint in the run folder, as the host does when the worker sends it. */
async function stored(checkpoint: SerializedCheckpoint): Promise<SerializedCheckpoint> {
  await writeCheckpointFiles(runDir, { manifest: checkpoint.manifest, values: checkpoint.values.slice() });
  return checkpoint;
}

beforeAll(async () => {
  await setCpuBackend();
  runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-ood-server-'));
});

afterAll(async () => {
  await fs.rm(runDir, { recursive: true, force: true });
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
    const first = await stored(await checkpointAt(400, 1));
    server.accept(request(first, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(replies).toEqual([]); // training: nothing happens until the run yields
    await server.serveBetweenSteps(10_000);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ requestId: 1, ok: true, backend: 'cpu', checkpointStep: 400 });
    expect(server.checkpointReads).toBe(1); // a miss: read from the run folder
    expect(replies[0].sets![0].probabilities).toHaveLength(4 * 3 * 10);
    expect(server.cachedNetworks).toBe(1);

    training = false;
    server.accept(request(first, 2));
    await server.pump();
    expect(replies[1].sets![0].probabilities).toEqual(replies[0].sets![0].probabilities); // same checkpoint, same seeded draws
    expect(server.cachedNetworks).toBe(1);
    expect(server.checkpointReads).toBe(1); // a hit: nothing read

    const second = await stored(await checkpointAt(800, 2));
    server.accept(request(second, 3));
    await server.pump();
    expect(replies[2]).toMatchObject({ requestId: 3, ok: true });
    expect(replies[2].sets![0].probabilities).not.toEqual(replies[0].sets![0].probabilities);
    expect(server.cachedNetworks).toBe(1); // the step-400 network was disposed
    expect(server.checkpointReads).toBe(2);

    server.accept({
      ...request(second, 4),
      sets: [{ name: 'bad', source: 'pixels', count: 2, images: new Float32Array(10) }],
    });
    await server.pump();
    expect(replies[3]).toMatchObject({
      requestId: 4,
      ok: false,
      error: 'Image set "bad" has 10 values; 2 images of 28×28 need 1568.',
    });

    server.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  }, 60_000);

  it('serves the checkpoint of a run it trained without reading it back, and keeps the latest network of each run', async () => {
    const baseline = tf.memory().numTensors;
    const replies: OodReplyMessage[] = [];
    const server = new OodServer({
      post: (reply) => replies.push(reply),
      environment: { loadDataset: () => Promise.reject(new Error('no dataset in this test')) },
      isTraining: () => false,
      ensureBackend: async () => tf.getBackend(),
    });
    // Not stored anywhere: the worker took it while training, so it has the variables itself.
    const trained = await checkpointAt(1200, 3);
    const state = deserializeCheckpoint(trained.manifest, trained.values);
    server.rememberTrainedCheckpoint('trained', 1200, trained.manifest.valueChecksum, state.variables);
    server.accept(request(trained, 1, 2, 'trained'));
    await server.pump();
    expect(replies[0]).toMatchObject({ requestId: 1, ok: true, checkpointStep: 1200 });
    expect(server.checkpointReads).toBe(0);

    // Another run, read from its folder: both runs' networks stay cached.
    const other = await stored(await checkpointAt(400, 4));
    server.accept(request(other, 2, 2, 'other'));
    await server.pump();
    expect(replies[1]).toMatchObject({ requestId: 2, ok: true, checkpointStep: 400 });
    expect(server.cachedNetworks).toBe(2);
    server.accept(request(trained, 3, 2, 'trained'));
    await server.pump();
    expect(replies[2].sets![0].probabilities).toEqual(replies[0].sets![0].probabilities);
    expect(server.checkpointReads).toBe(1);

    // A checksum that matches nothing: the worker reads the folder and says which step it used.
    server.accept({ ...request(other, 4, 2, 'other'), network: { runDir, step: 400, checksum: '00000000' } });
    await server.pump();
    expect(replies[3]).toMatchObject({ requestId: 4, ok: true, checkpointStep: 400 });
    server.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  }, 60_000);
});

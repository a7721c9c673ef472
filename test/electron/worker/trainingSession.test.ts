/**
 * The training session's own additions to what a run records (electron/worker/trainingSession.ts):
 * the host's backend notes — why the desktop app did not send an `auto` run to its GPU window — join
 * the backend's skipped list, each after the worker's own reasons for that backend; and every
 * metrics event carries the worker's tfjs memory, so a run shows that nothing accumulates.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { sinusoidConfigSchema } from '../../../core/contract/runConfig';
import type { BackendInfo, StatusEvent } from '../../../core/contract/runEvent';
import type { ExperimentHooks, ExperimentTrainer } from '../../../core/experiments/trainer';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import type { HostToWorkerMessage, WorkerToHostMessage } from '../../../electron/worker/messages';
import { serveTrainingSession, type HostPort } from '../../../electron/worker/trainingSession';

const threadBackend: BackendInfo = {
  name: 'wasm',
  device: 'WebAssembly (SIMD, 1 thread)',
  skipped: [
    { name: 'tensorflow', reason: 'the optional package @tensorflow/tfjs-node is not installed' },
    { name: 'webgpu', reason: "Dawn's Node binding hands out GPU-mapped memory as external ArrayBuffers…" },
  ],
};

/** A trainer that keeps one tensor and reports one step: the session's bookkeeping is what is under test. */
const idleTrainer = {
  name: 'sinusoid',
  run: async (_config: unknown, hooks: ExperimentHooks) => {
    const kept = tf.ones([4, 8]);
    hooks.emit({ type: 'metrics', step: 1, loss: 1, nll: 1, kl: 0, klWeight: 1 });
    kept.dispose();
    return {};
  },
} as unknown as ExperimentTrainer;

async function startRun(start: Omit<Extract<HostToWorkerMessage, { type: 'start' }>, 'type' | 'runId' | 'config'>) {
  const posted: WorkerToHostMessage[] = [];
  let deliver: (message: unknown) => void = () => undefined;
  const port: HostPort = {
    on: (_event, listener) => (deliver = listener),
    postMessage: (message) => posted.push(message),
  };
  serveTrainingSession(
    port,
    { sinusoid: idleTrainer },
    { loadDataset: () => Promise.reject(new Error('no datasets here')) },
    {
      selectBackend: async () => threadBackend,
      createRequestServer: () => ({
        accept: () => undefined,
        pump: async () => undefined,
        serveBetweenSteps: async () => undefined,
        rememberTrainedCheckpoint: () => undefined,
      }),
    },
  );
  const config = sinusoidConfigSchema.parse({ ...sinusoidPresets[0].config, epochs: 2, backend: 'auto' });
  deliver({ type: 'start', runId: 'r1', config, ...start });
  for (let i = 0; i < 100 && !posted.some((message) => message.type === 'done'); i += 1)
    await new Promise((resolve) => setTimeout(resolve, 5));
  return posted;
}

async function runningStatus(start: Parameters<typeof startRun>[0]): Promise<StatusEvent> {
  const running = (await startRun(start)).find(
    (message): message is { type: 'event'; event: StatusEvent } =>
      message.type === 'event' && message.event.type === 'status' && message.event.state === 'running',
  );
  expect(running).toBeDefined();
  return running!.event;
}

describe('training session: backend notes from the host and memory per step', () => {
  it("records the notes after the worker's own reasons for the same backend", async () => {
    const note = {
      name: 'webgpu',
      reason: "the desktop app's GPU window was not used: Chromium's only WebGPU adapter is a fallback…",
    };
    const status = await runningStatus({ backendNotes: [note] });
    expect(status.backend).toEqual({ ...threadBackend, skipped: [...threadBackend.skipped, note] });
    expect(status.backend!.skipped.map((skip) => skip.name)).toEqual(['tensorflow', 'webgpu', 'webgpu']);
  });

  it("stamps each metrics event with the worker's tfjs memory after the step", async () => {
    await tf.setBackend('cpu');
    const before = tf.memory();
    const metrics = (await startRun({})).find(
      (message) => message.type === 'event' && message.event.type === 'metrics',
    );
    expect(metrics).toMatchObject({
      event: { memory: { tensors: before.numTensors + 1, bytes: before.numBytes + 4 * 8 * 4 } },
    });
    expect(metrics).not.toHaveProperty('event.memory.gpuBytes'); // the cpu backend has no GPU buffers
  });

  it('a note for a backend the worker did not try goes at the end; without notes the backend is as selected', async () => {
    const note = { name: 'metal', reason: 'not offered here' };
    expect((await runningStatus({ backendNotes: [note] })).backend!.skipped.at(-1)).toEqual(note);
    expect((await runningStatus({})).backend).toEqual(threadBackend);
  });
});

/**
 * The desktop app's training worker made of the Node thread and the GPU window
 * (electron/host/routingTrainingWorker.ts): runs go where their configuration says, their controls
 * follow them, classification stays on the Node worker, and a death is reported to the pool once —
 * except a GPU window that ends between runs, which is started again for the next GPU run.
 */
import { describe, expect, it } from 'vitest';
import { sinusoidConfigSchema, type RunConfig } from '../../../core/contract/runConfig';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import { RoutingTrainingWorker } from '../../../electron/host/routingTrainingWorker';
import type { TrainingWorkerHandle, TrainingWorkerListeners } from '../../../electron/host/trainingWorker';
import type { HostToWorkerMessage, OodRequestMessage } from '../../../electron/worker/messages';

class FakeWorker implements TrainingWorkerHandle {
  readonly sent: HostToWorkerMessage[] = [];
  alive = true;
  terminated = 0;
  constructor(readonly listeners: TrainingWorkerListeners) {}
  send(message: HostToWorkerMessage): void {
    this.sent.push(message);
  }
  async terminate(): Promise<void> {
    this.terminated += 1;
    this.die('terminated');
  }
  die(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    this.listeners.exit(reason);
  }
}

function setup() {
  const spawned = { node: [] as FakeWorker[], gpu: [] as FakeWorker[] };
  const reported = { messages: [] as unknown[], exits: [] as string[] };
  const router = new RoutingTrainingWorker(
    {
      node: (listeners) => {
        const worker = new FakeWorker(listeners);
        spawned.node.push(worker);
        return worker;
      },
      gpu: (listeners) => {
        const worker = new FakeWorker(listeners);
        spawned.gpu.push(worker);
        return worker;
      },
      trainsOnGpu: (config) => config.backend === 'webgpu',
    },
    { message: (message) => reported.messages.push(message), exit: (reason) => reported.exits.push(reason) },
  );
  return { router, spawned, reported };
}

const config = (backend: RunConfig['backend']): RunConfig =>
  sinusoidConfigSchema.parse({ ...sinusoidPresets[0].config, epochs: 3, backend });

const oodRequest = {
  type: 'ood',
  requestId: 1,
  runId: 'gpu-run',
  config: config('webgpu'),
  network: { runDir: '/runs/gpu-run', step: 3, checksum: '0123abcd' },
  draws: 5,
  seed: 0,
  priority: 'interactive',
  sets: [{ name: 'heldout', source: 'heldout' }],
} satisfies OodRequestMessage;

describe('RoutingTrainingWorker', () => {
  it('sends webgpu runs to the GPU window and the others to the Node worker; controls follow the run', () => {
    const { router, spawned } = setup();
    router.send({ type: 'start', runId: 'cpu-run', config: config('wasm') });
    expect(spawned.node).toHaveLength(1);
    expect(spawned.gpu).toHaveLength(0); // the window opens only when a run needs it
    router.send({ type: 'start', runId: 'gpu-run', config: config('webgpu') });
    expect(spawned.gpu).toHaveLength(1);
    router.send({ type: 'pause', runId: 'gpu-run' });
    router.send({ type: 'stop', runId: 'cpu-run' });
    router.send(oodRequest);
    expect(spawned.gpu[0].sent.map((message) => message.type)).toEqual(['start', 'pause']);
    expect(spawned.node[0].sent.map((message) => message.type)).toEqual(['start', 'stop', 'ood']);
  });

  it("forwards both sides' messages; a `done` ends the run's routing (a late stop goes to the Node worker, which ignores unknown runs)", () => {
    const { router, spawned, reported } = setup();
    router.send({ type: 'start', runId: 'gpu-run', config: config('webgpu') });
    const done = { type: 'done', runId: 'gpu-run', state: 'completed', step: 3 } as const;
    spawned.gpu[0].listeners.message(done);
    expect(reported.messages).toEqual([done]);
    router.send({ type: 'stop', runId: 'gpu-run' });
    expect(spawned.gpu[0].sent.map((message) => message.type)).toEqual(['start']);
    expect(spawned.node[0].sent.map((message) => message.type)).toEqual(['stop']);
  });

  it('a GPU window that ends between runs is opened again for the next GPU run, and the pool hears nothing', () => {
    const { router, spawned, reported } = setup();
    router.send({ type: 'start', runId: 'first', config: config('webgpu') });
    spawned.gpu[0].listeners.message({ type: 'done', runId: 'first', state: 'completed', step: 3 });
    spawned.gpu[0].die('its window was closed');
    expect(reported.exits).toEqual([]);
    expect(router.alive).toBe(true);
    router.send({ type: 'start', runId: 'second', config: config('webgpu') });
    expect(spawned.gpu).toHaveLength(2);
    expect(spawned.gpu[1].sent[0]).toMatchObject({ type: 'start', runId: 'second' });
  });

  it('a GPU window that ends while it trains ends the whole worker: reported once, the Node worker terminated', () => {
    const { router, spawned, reported } = setup();
    router.send({ type: 'start', runId: 'cpu-run', config: config('cpu') });
    router.send({ type: 'start', runId: 'gpu-run', config: config('webgpu') });
    spawned.gpu[0].die("The GPU window's training worker stopped unexpectedly: its renderer process ended (crashed).");
    expect(reported.exits).toEqual([
      "The GPU window's training worker stopped unexpectedly: its renderer process ended (crashed).",
    ]);
    expect(spawned.node[0].terminated).toBe(1);
    expect(reported.exits).toHaveLength(1); // the Node worker's exit, caused by us, is not a second report
    expect(router.alive).toBe(false);
    expect(() => router.send({ type: 'stop', runId: 'cpu-run' })).toThrow(/the training worker has exited/);
  });

  it('the Node worker ending is reported even when it trained nothing (classification requests wait on it)', () => {
    const { router, spawned, reported } = setup();
    router.send(oodRequest);
    spawned.node[0].die('The training worker stopped unexpectedly (exit code 1).');
    expect(reported.exits).toEqual(['The training worker stopped unexpectedly (exit code 1).']);
  });

  it('terminate ends both sides and reports the exit once', async () => {
    const { router, spawned, reported } = setup();
    router.send({ type: 'start', runId: 'cpu-run', config: config('cpu') });
    router.send({ type: 'start', runId: 'gpu-run', config: config('webgpu') });
    await router.terminate();
    expect(spawned.node[0].terminated).toBe(1);
    expect(spawned.gpu[0].terminated).toBe(1);
    expect(reported.exits).toEqual(['The training worker was closed.']);
  });
});

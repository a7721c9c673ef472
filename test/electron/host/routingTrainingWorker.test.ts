/**
 * The desktop app's training worker made of the Node thread and the GPU window
 * (electron/host/routingTrainingWorker.ts) with the desktop's route (electron/host/desktopRunRoute.ts):
 * runs go where their configuration says — `auto` after asking the window for its adapter, once —
 * their controls follow them in order, classification stays on the Node worker, and a death is
 * reported to the pool once — except a GPU window that ends between runs, which is started again
 * for the next GPU run.
 */
import { describe, expect, it, vi } from 'vitest';
import { sinusoidConfigSchema, type RunConfig } from '../../../core/contract/runConfig';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import { desktopRunRoute, type ChromiumAdapterReport } from '../../../electron/host/desktopRunRoute';
import { RoutingTrainingWorker } from '../../../electron/host/routingTrainingWorker';
import type { TrainingWorkerHandle, TrainingWorkerListeners } from '../../../electron/host/trainingWorker';
import type { HostToWorkerMessage, OodRequestMessage } from '../../../electron/worker/messages';

class FakeWorker implements TrainingWorkerHandle {
  readonly sent: HostToWorkerMessage[] = [];
  alive = true;
  terminated = 0;
  probes = 0;
  constructor(
    readonly listeners: TrainingWorkerListeners,
    private readonly adapter: () => Promise<ChromiumAdapterReport> = () =>
      Promise.reject(new Error('not asked in this test')),
  ) {}
  probeAdapter(): Promise<ChromiumAdapterReport> {
    this.probes += 1;
    return this.adapter();
  }
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

const hardware: ChromiumAdapterReport = {
  ok: true,
  adapter: {
    vendor: 'nvidia',
    architecture: 'ampere',
    device: '',
    description: 'NVIDIA GeForce RTX 3060',
    fallback: false,
  },
};
const swiftShader: ChromiumAdapterReport = {
  ok: true,
  adapter: {
    vendor: 'google',
    architecture: 'swiftshader',
    device: '',
    description: 'SwiftShader Device',
    fallback: true,
  },
};

function setup(adapter?: () => Promise<ChromiumAdapterReport>) {
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
        const worker = new FakeWorker(listeners, adapter);
        spawned.gpu.push(worker);
        return worker;
      },
      route: desktopRunRoute,
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

  it('an auto run trains in the GPU window when Chromium offers a hardware adapter; the window is asked once', async () => {
    const { router, spawned } = setup(async () => hardware);
    router.send({ type: 'start', runId: 'first', config: config('auto') });
    router.send({ type: 'pause', runId: 'first' }); // waits behind its start
    expect(spawned.gpu).toHaveLength(1);
    expect(spawned.gpu[0].sent).toEqual([]);
    await vi.waitFor(() => expect(spawned.gpu[0].sent.map((message) => message.type)).toEqual(['start', 'pause']));
    expect(spawned.gpu[0].sent[0]).not.toHaveProperty('backendNotes');
    spawned.gpu[0].listeners.message({ type: 'done', runId: 'first', state: 'completed', step: 3 });
    router.send({ type: 'start', runId: 'second', config: config('auto') });
    await vi.waitFor(() => expect(spawned.gpu[0].sent).toHaveLength(3));
    expect(spawned.gpu[0].probes).toBe(1);
    expect(spawned.node).toHaveLength(0);
  });

  it('an auto run stays on the Node worker when Chromium has only a fallback adapter, with the reason; the idle window is closed', async () => {
    const { router, spawned } = setup(async () => swiftShader);
    router.send({ type: 'start', runId: 'auto-run', config: config('auto') });
    router.send({ type: 'stop', runId: 'auto-run' });
    router.send(oodRequest);
    await vi.waitFor(() =>
      expect(spawned.node[0]?.sent.map((message) => message.type)).toEqual(['start', 'stop', 'ood']),
    );
    expect(spawned.node[0].sent[0]).toMatchObject({
      backendNotes: [
        {
          name: 'webgpu',
          reason: expect.stringMatching(
            /GPU window was not used: Chromium's only WebGPU adapter is a fallback .*SwiftShader Device \(swiftshader, fallback adapter\)/,
          ),
        },
      ],
    });
    expect(spawned.gpu[0].sent).toEqual([]);
    expect(spawned.gpu[0].terminated).toBe(1);
    // A forced webgpu run still goes to a window (a new one), and the adapter is not asked again.
    router.send({ type: 'start', runId: 'forced', config: config('webgpu') });
    expect(spawned.gpu).toHaveLength(2);
    expect(spawned.gpu[1].sent[0]).toMatchObject({ type: 'start', runId: 'forced' });
    router.send({ type: 'start', runId: 'auto-again', config: config('auto') });
    await vi.waitFor(() => expect(spawned.node[0].sent).toHaveLength(4));
    expect(spawned.gpu[0].probes + spawned.gpu[1].probes).toBe(1);
  });

  it('a window that cannot say which adapter it has sends the auto run to the Node worker with that reason, and is asked again next time', async () => {
    let attempts = 0;
    const { router, spawned } = setup(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('The GPU window did not say which WebGPU adapter it has within 60 s.');
      return hardware;
    });
    router.send({ type: 'start', runId: 'first', config: config('auto') });
    await vi.waitFor(() => expect(spawned.node[0]?.sent).toHaveLength(1));
    expect(spawned.node[0].sent[0]).toMatchObject({
      backendNotes: [
        {
          name: 'webgpu',
          reason: expect.stringContaining('could not be asked for its adapter (The GPU window did not say'),
        },
      ],
    });
    spawned.node[0].listeners.message({ type: 'done', runId: 'first', state: 'completed', step: 3 });
    router.send({ type: 'start', runId: 'second', config: config('auto') });
    await vi.waitFor(() => expect(spawned.gpu.at(-1)?.sent).toHaveLength(1));
    expect(attempts).toBe(2);
  });
});

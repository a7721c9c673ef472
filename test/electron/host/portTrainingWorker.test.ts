/**
 * The host's end of the desktop app's GPU window (electron/host/portTrainingWorker.ts), over a real
 * MessagePort pair (node:worker_threads; Electron's MessagePortMain is adapted to the same
 * BridgePort in electron/shell/gpuWindow.ts): what the worker posts is validated and forwarded,
 * its dataset requests are answered with the data the host read (or why it could not), its adapter
 * is asked for and the answer validated, and the window's end is reported once.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { PIXELS_PER_IMAGE, type Dataset } from '../../../core/data/dataset';
import type { DatasetReplyMessage } from '../../../electron/gpuWindow/messages';
import { PortTrainingWorker } from '../../../electron/host/portTrainingWorker';
import type { WorkerToHostMessage } from '../../../electron/worker/messages';

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const channel of channels.splice(0)) {
    channel.port1.close();
    channel.port2.close();
  }
});

function tinyDataset(): Dataset {
  const part = (count: number) => ({
    images: Float32Array.from({ length: count * PIXELS_PER_IMAGE }, (_, i) => (i % 7) / 7),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
    count,
  });
  return {
    name: 'tiny',
    imageSize: 28,
    classes: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    train: part(3),
    heldout: part(2),
  };
}

interface Harness {
  worker: PortTrainingWorker;
  /** The GPU window's end of the port. */
  window: MessagePort;
  messages: WorkerToHostMessage[];
  exits: string[];
  closes: number;
  loads: string[];
}

function connect(
  loadDataset: (spec: string) => Promise<Dataset> = async () => tinyDataset(),
  probeTimeoutMs?: number,
): Harness {
  const channel = new MessageChannel();
  channels.push(channel);
  const harness: Harness = {
    messages: [],
    exits: [],
    closes: 0,
    loads: [],
    window: channel.port2,
  } as unknown as Harness;
  harness.worker = new PortTrainingWorker(
    {
      port: {
        postMessage: (message) => channel.port1.postMessage(message),
        onMessage: (listener) => channel.port1.on('message', listener),
        close: () => channel.port1.close(),
      },
      loadDataset: (spec) => {
        harness.loads.push(spec);
        return loadDataset(spec);
      },
      close: () => {
        harness.closes += 1;
      },
      name: 'the GPU window',
      ...(probeTimeoutMs !== undefined ? { probeTimeoutMs } : {}),
    },
    { message: (message) => harness.messages.push(message), exit: (reason) => harness.exits.push(reason) },
  );
  return harness;
}

function nextMessage(port: MessagePort): Promise<unknown> {
  return new Promise((resolve) => port.once('message', resolve));
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('PortTrainingWorker', () => {
  it("passes the host's messages to the window and forwards what the window reports", async () => {
    const { worker, window, messages } = connect();
    const received = nextMessage(window);
    worker.send({ type: 'stop', runId: 'r1' });
    expect(await received).toEqual({ type: 'stop', runId: 'r1' });

    window.postMessage({ type: 'done', runId: 'r1', state: 'stopped', step: 4, message: 'Stopped at step 4.' });
    await until(() => messages.length === 1);
    expect(messages[0]).toEqual({
      type: 'done',
      runId: 'r1',
      state: 'stopped',
      step: 4,
      message: 'Stopped at step 4.',
    });
  });

  it('answers a dataset request with the dataset the host read, typed arrays intact', async () => {
    const { window, loads, messages } = connect();
    const reply = nextMessage(window) as Promise<DatasetReplyMessage>;
    window.postMessage({ type: 'datasetRequest', requestId: 7, spec: 'mnist' });
    const answer = await reply;
    expect(loads).toEqual(['mnist']);
    expect(answer).toMatchObject({ type: 'dataset', requestId: 7, ok: true });
    const expected = tinyDataset();
    expect(answer.dataset!.train.images).toBeInstanceOf(Float32Array);
    expect(Array.from(answer.dataset!.train.images)).toEqual(Array.from(expected.train.images));
    expect(Array.from(answer.dataset!.heldout.labels)).toEqual(Array.from(expected.heldout.labels));
    expect(answer.dataset!.classNames).toEqual(expected.classNames);
    expect(messages).toEqual([]); // dataset requests are the bridge's business, not the run manager's
  });

  it('answers a dataset the host cannot read with the reason, and a request for a path-less spec is refused as malformed', async () => {
    const { window, messages, loads } = connect(async (spec) => {
      throw new Error(`${spec} holds no IDX files.`);
    });
    const reply = nextMessage(window) as Promise<DatasetReplyMessage>;
    window.postMessage({ type: 'datasetRequest', requestId: 1, spec: 'idx:/data/empty' });
    expect(await reply).toEqual({
      type: 'dataset',
      requestId: 1,
      ok: false,
      error: 'idx:/data/empty holds no IDX files.',
    });

    window.postMessage({ type: 'datasetRequest', requestId: 2, spec: '/etc/passwd' });
    await until(() => messages.length === 1);
    expect(messages[0]).toMatchObject({ type: 'error' });
    expect((messages[0] as { message: string }).message).toMatch(
      /^The GPU window's training worker posted a malformed message/,
    );
    expect(loads).toEqual(['idx:/data/empty']);
  });

  it('reports a malformed message as an error naming where it is wrong', async () => {
    const { window, messages } = connect();
    window.postMessage({ type: 'event', event: { type: 'metrics', runId: 'r1', step: -1 } });
    await until(() => messages.length === 1);
    expect(messages[0].type).toBe('error');
    expect((messages[0] as { message: string }).message).toMatch(/malformed message at event/);
  });

  it('reports the end of the window once, refuses to send afterwards, and ignores what arrives late', async () => {
    const { worker, window, messages, exits } = connect();
    worker.ended('its renderer process ended (crashed)');
    worker.ended('its window was closed');
    expect(exits).toEqual([
      "The GPU window's training worker stopped unexpectedly: its renderer process ended (crashed).",
    ]);
    expect(worker.alive).toBe(false);
    expect(() => worker.send({ type: 'pause', runId: 'r1' })).toThrow(
      /Cannot send "pause" for run "r1": the GPU window's training worker has ended/,
    );
    window.postMessage({ type: 'error', message: 'late' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(messages).toEqual([]);
  });

  it('terminate closes the window and still reports the exit once', async () => {
    const harness = connect();
    await harness.worker.terminate();
    await harness.worker.terminate();
    expect(harness.closes).toBe(1);
    expect(harness.exits).toHaveLength(1);
  });

  it('asks the window which WebGPU adapter Chromium offers and returns its validated answer', async () => {
    const { worker, window, messages } = connect();
    const probe = nextMessage(window) as Promise<{ type: string; requestId: number }>;
    const answer = worker.probeAdapter();
    const asked = await probe;
    expect(asked).toMatchObject({ type: 'adapterProbe' });
    const adapter = {
      vendor: 'amd',
      architecture: 'rdna-2',
      device: '',
      description: 'AMD Radeon RX 6600',
      fallback: false,
    };
    window.postMessage({
      type: 'adapterReport',
      requestId: asked.requestId + 1,
      report: { ok: false, reason: 'not this one' },
    });
    window.postMessage({ type: 'adapterReport', requestId: asked.requestId, report: { ok: true, adapter } });
    expect(await answer).toEqual({ ok: true, adapter });
    expect(messages).toEqual([]);
  });

  it('a malformed adapter report, a window that does not answer, or one that ends fails the probe with a reason', async () => {
    const malformed = connect();
    const first = malformed.worker.probeAdapter();
    const asked = (await nextMessage(malformed.window)) as { requestId: number };
    malformed.window.postMessage({ type: 'adapterReport', requestId: asked.requestId, report: { ok: true } });
    await expect(first).rejects.toThrow(/posted a malformed adapter report/);

    const silent = connect(undefined, 50);
    await expect(silent.worker.probeAdapter()).rejects.toThrow(
      'The GPU window did not say which WebGPU adapter it has within 0.05 s.',
    );

    const ending = connect();
    const pending = ending.worker.probeAdapter();
    ending.worker.ended('its page did not load (ERR_FILE_NOT_FOUND, -6)');
    await expect(pending).rejects.toThrow(/training worker ended: its page did not load/);
    await expect(ending.worker.probeAdapter()).rejects.toThrow(/has ended/);
  });
});

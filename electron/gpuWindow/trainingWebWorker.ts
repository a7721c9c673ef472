/**
 * Entry point of the Web Worker that trains in the desktop app's hidden GPU window: the same
 * training session as the Node worker (electron/worker/trainingSession.ts) and the same trainers,
 * on Chromium's WebGPU (./browserBackend.ts). Its first message carries the MessagePort to the
 * host; from then on it speaks the Node worker's message contract on that port, plus dataset
 * requests (./messages.ts), because a Web Worker cannot read files, and answers the host's question
 * which WebGPU adapter Chromium offers. Classification requests are the Node worker's job: this one
 * refuses them.
 */
import type { DatasetSpec } from '../../core/contract/runConfig';
import type { Dataset } from '../../core/data/dataset';
import { experimentTrainers } from '../../core/experiments/trainers';
import type { OodRequestMessage } from '../worker/messages';
import { serveTrainingSession, type HostPort, type RequestServerOptions } from '../worker/trainingSession';
import { BrowserBackends } from './browserBackend';
import {
  adapterProbeMessageSchema,
  datasetReplyMessageSchema,
  type AdapterReportMessage,
  type DatasetRequestMessage,
} from './messages';

/** The worker's own scope, typed by what is used (the DOM lib types the window, not a worker). */
interface WorkerScope {
  addEventListener(type: 'message', listener: (event: MessageEvent) => void, options?: { once: boolean }): void;
  location: { href: string };
}
const scope = globalThis as unknown as WorkerScope;

scope.addEventListener(
  'message',
  (event) => {
    const port = event.ports[0];
    if (!port) throw new Error('The GPU window worker expected a MessagePort to the host in its first message.');
    serve(port);
  },
  { once: true },
);

function serve(port: MessagePort): void {
  const datasets = new DatasetRequests((request) => port.postMessage(request));
  // tfjs-backend-wasm's binaries are served beside this bundle.
  const backends = new BrowserBackends({ wasmPaths: new URL('./', scope.location.href).href });
  const hostPort: HostPort = {
    on(_event, listener) {
      port.addEventListener('message', (event: MessageEvent) => {
        const data = event.data as { type?: unknown } | null;
        if (data?.type === 'dataset') datasets.accept(data);
        else if (data?.type === 'adapterProbe') void answerAdapterProbe(data);
        else listener(data);
      });
    },
    postMessage: (message, transfer) => port.postMessage(message, transfer ?? []),
  };
  const answerAdapterProbe = async (raw: unknown) => {
    const probe = adapterProbeMessageSchema.safeParse(raw);
    if (!probe.success) return; // no request id to answer; the host's wait times out with a message
    const reply: AdapterReportMessage = {
      type: 'adapterReport',
      requestId: probe.data.requestId,
      report: await backends.adapterReport(),
    };
    port.postMessage(reply);
  };
  serveTrainingSession(
    hostPort,
    experimentTrainers,
    { loadDataset: (spec) => datasets.load(spec) },
    { selectBackend: (choice) => backends.select(choice), createRequestServer: refuseRequests },
  );
  port.start();
}

/** Asks the host for datasets; the last one is kept for the next run of the same data. */
class DatasetRequests {
  private nextRequestId = 1;
  private readonly pending = new Map<number, { resolve(dataset: Dataset): void; reject(error: Error): void }>();
  private last: { spec: DatasetSpec; dataset: Promise<Dataset> } | null = null;

  constructor(private readonly post: (request: DatasetRequestMessage) => void) {}

  load(spec: DatasetSpec): Promise<Dataset> {
    if (this.last?.spec === spec) return this.last.dataset;
    const requestId = this.nextRequestId++;
    const dataset = new Promise<Dataset>((resolve, reject) => this.pending.set(requestId, { resolve, reject }));
    this.last = { spec, dataset };
    dataset.catch(() => {
      if (this.last?.dataset === dataset) this.last = null; // a fixed folder can be read again
    });
    this.post({ type: 'datasetRequest', requestId, spec });
    return dataset;
  }

  accept(raw: unknown): void {
    const parsed = datasetReplyMessageSchema.safeParse(raw);
    if (!parsed.success) {
      // Without a valid request id the waiting run cannot be told; every waiting load fails instead.
      for (const [requestId, pending] of this.pending) {
        this.pending.delete(requestId);
        pending.reject(
          new Error(`The host sent a malformed dataset: ${parsed.error.issues[0]?.message ?? 'unknown problem'}.`),
        );
      }
      return;
    }
    const reply = parsed.data;
    const pending = this.pending.get(reply.requestId);
    if (!pending) return;
    this.pending.delete(reply.requestId);
    if (reply.ok && reply.dataset) pending.resolve(reply.dataset);
    else pending.reject(new Error(reply.error ?? 'The host could not read the dataset.'));
  }
}

/** Classification needs run folders, which only the Node worker reads: every request is refused. */
function refuseRequests(options: RequestServerOptions) {
  const refuse = (message: OodRequestMessage) =>
    options.post(
      {
        type: 'oodReply',
        requestId: message.requestId,
        ok: false,
        error: 'The GPU window only trains; classification is served by the training worker thread.',
      },
      [],
    );
  return {
    accept: refuse,
    pump: () => Promise.resolve(),
    serveBetweenSteps: () => Promise.resolve(),
    rememberTrainedCheckpoint: () => undefined,
  };
}

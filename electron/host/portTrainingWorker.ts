/**
 * A training worker on the far end of a message port: the desktop app's GPU window, whose Web
 * Worker trains on Chromium's WebGPU (electron/gpuWindow/). It speaks the Node worker's message
 * contract (electron/worker/messages.ts), validated here as TrainingWorker validates the thread's,
 * plus dataset requests (electron/gpuWindow/messages.ts), which it answers by reading the dataset
 * the way the Node worker does, and adapter probes (which WebGPU adapter Chromium offers), which it
 * asks. Electron-free: the shell adapts its MessagePortMain and window to
 * `BridgePort` and calls `ended` when the window's renderer goes away.
 */
import type { DatasetSpec } from '../../core/contract/runConfig';
import type { Dataset } from '../../core/data/dataset';
import {
  adapterReportMessageSchema,
  datasetReply,
  datasetRequestMessageSchema,
  type AdapterProbeMessage,
  type ChromiumAdapterReport,
  type DatasetRequestMessage,
} from '../gpuWindow/messages';
import { workerToHostMessageSchema, type HostToWorkerMessage } from '../worker/messages';
import { TrainingWorkerHostError, type TrainingWorkerHandle, type TrainingWorkerListeners } from './trainingWorker';

/** The host's end of the port (Electron's MessagePortMain, or node:worker_threads' MessagePort in tests). */
export interface BridgePort {
  postMessage(message: unknown): void;
  onMessage(listener: (data: unknown) => void): void;
  close(): void;
}

export interface PortTrainingWorkerOptions {
  port: BridgePort;
  /** Reads a run's dataset for the worker, which cannot read files. */
  loadDataset(spec: DatasetSpec): Promise<Dataset>;
  /** Ends what runs the worker (destroys the hidden window). */
  close(): void;
  /** How messages name it: "the GPU window". */
  name: string;
  /** How long `probeAdapter` waits for the answer (the window's page loads first); 60 s by default. */
  probeTimeoutMs?: number;
}

interface PendingProbe {
  resolve(report: ChromiumAdapterReport): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class PortTrainingWorker implements TrainingWorkerHandle {
  private exited = false;
  private nextProbeId = 1;
  private readonly probes = new Map<number, PendingProbe>();

  constructor(
    private readonly options: PortTrainingWorkerOptions,
    private readonly listeners: TrainingWorkerListeners,
  ) {
    options.port.onMessage((raw) => this.receive(raw));
  }

  get alive(): boolean {
    return !this.exited;
  }

  send(message: HostToWorkerMessage): void {
    if (this.exited) {
      throw new TrainingWorkerHostError(
        `Cannot send "${message.type}" for run "${message.runId}": ${this.options.name}'s training worker has ended.`,
      );
    }
    this.options.port.postMessage(message);
  }

  /** Asks the worker which WebGPU adapter Chromium offers; rejects when it does not answer or ends first. */
  probeAdapter(): Promise<ChromiumAdapterReport> {
    if (this.exited)
      return Promise.reject(
        new TrainingWorkerHostError(`${capitalise(this.options.name)}'s training worker has ended.`),
      );
    const requestId = this.nextProbeId++;
    const timeoutMs = this.options.probeTimeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.probes.delete(requestId);
        reject(
          new TrainingWorkerHostError(
            `${capitalise(this.options.name)} did not say which WebGPU adapter it has within ${timeoutMs / 1000} s.`,
          ),
        );
      }, timeoutMs);
      this.probes.set(requestId, { resolve, reject, timer });
      const probe: AdapterProbeMessage = { type: 'adapterProbe', requestId };
      this.options.port.postMessage(probe);
    });
  }

  /** What runs the worker went away (renderer crashed, window closed); reported once. */
  ended(reason: string): void {
    if (this.exited) return;
    this.exited = true;
    for (const [requestId, probe] of this.probes) {
      this.probes.delete(requestId);
      clearTimeout(probe.timer);
      probe.reject(new TrainingWorkerHostError(`${capitalise(this.options.name)}'s training worker ended: ${reason}.`));
    }
    this.options.port.close();
    this.listeners.exit(`${capitalise(this.options.name)}'s training worker stopped unexpectedly: ${reason}.`);
  }

  async terminate(): Promise<void> {
    if (this.exited) return;
    this.options.close();
    this.ended('it was closed');
  }

  private receive(raw: unknown): void {
    if (this.exited) return;
    // Checked against the one schema its type names, so that the error says where it is wrong.
    const type = (raw as { type?: unknown } | null)?.type;
    if (type === 'adapterReport') return this.acceptAdapterReport(raw);
    const parsed =
      type === 'datasetRequest' ? datasetRequestMessageSchema.safeParse(raw) : workerToHostMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.map(String).join('.')}` : '';
      this.listeners.message({
        type: 'error',
        message: `${capitalise(this.options.name)}'s training worker posted a malformed message${where}: ${issue?.message ?? 'unknown problem'}.`,
      });
      return;
    }
    const message = parsed.data;
    if (message.type === 'datasetRequest') void this.answerDataset(message);
    else this.listeners.message(message);
  }

  private acceptAdapterReport(raw: unknown): void {
    const parsed = adapterReportMessageSchema.safeParse(raw);
    if (!parsed.success) {
      // Without a valid request id the waiting probe cannot be told; every waiting probe fails instead.
      const problem = `${capitalise(this.options.name)}'s training worker posted a malformed adapter report: ${parsed.error.issues[0]?.message ?? 'unknown problem'}.`;
      for (const [requestId, probe] of this.probes) {
        this.probes.delete(requestId);
        clearTimeout(probe.timer);
        probe.reject(new TrainingWorkerHostError(problem));
      }
      return;
    }
    const probe = this.probes.get(parsed.data.requestId);
    if (!probe) return;
    this.probes.delete(parsed.data.requestId);
    clearTimeout(probe.timer);
    probe.resolve(parsed.data.report);
  }

  private async answerDataset(request: DatasetRequestMessage): Promise<void> {
    let reply;
    try {
      reply = datasetReply(request, await this.options.loadDataset(request.spec));
    } catch (error) {
      reply = {
        type: 'dataset',
        requestId: request.requestId,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    if (!this.exited) this.options.port.postMessage(reply);
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

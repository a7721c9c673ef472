/**
 * One training worker made of two: the Node worker thread, and the desktop app's GPU window
 * (./portTrainingWorker.ts), each started when a message first needs it. Where a run goes is
 * `route`'s answer for its configuration (in the desktop app ./desktopRunRoute.ts: `webgpu` to the
 * window, `auto` to the window when Chromium offers a hardware adapter — which may need the window
 * asked first — the rest to the thread); its stop/pause/resume follow it; classification requests
 * always go to the Node worker, which reads the run folders. Messages leave in the order they were
 * sent, also while a route waits for the window's answer. To the pool (./workerPool.ts) it is one
 * worker: it ends, and says so once, when the Node worker ends or when the GPU window ends while it
 * trains a run; a GPU window that ends between runs is started again for the next one.
 */
import type { RunConfig } from '../../core/contract/runConfig';
import type { HostToWorkerMessage } from '../worker/messages';
import type { ChromiumAdapterReport, RunRoute } from './desktopRunRoute';
import { TrainingWorkerHostError, type TrainingWorkerHandle, type TrainingWorkerListeners } from './trainingWorker';

/** The GPU window's worker: a training worker that can also say which WebGPU adapter Chromium offers. */
export interface GpuTrainingWorkerHandle extends TrainingWorkerHandle {
  probeAdapter(): Promise<ChromiumAdapterReport>;
}

export interface RoutingTrainingWorkerOptions {
  node: (listeners: TrainingWorkerListeners) => TrainingWorkerHandle;
  gpu: (listeners: TrainingWorkerListeners) => GpuTrainingWorkerHandle;
  /** Where a run trains; `askGpuWindow` opens the window if needed and asks it (answered once per session). */
  route(config: RunConfig, askGpuWindow: () => Promise<ChromiumAdapterReport>): RunRoute | Promise<RunRoute>;
}

type Side = 'node' | 'gpu';

export class RoutingTrainingWorker implements TrainingWorkerHandle {
  private readonly workers: { node: TrainingWorkerHandle | null; gpu: GpuTrainingWorkerHandle | null } = {
    node: null,
    gpu: null,
  };
  /** The side training each run it was sent, until that run's `done`. */
  private readonly runSides = new Map<string, Side>();
  /** Messages waiting behind a route that waits for the GPU window, in the order they were sent. */
  private readonly waiting: HostToWorkerMessage[] = [];
  /** Chromium's answer, asked once; a failure to ask is asked again for the next run. */
  private adapterReport: Promise<ChromiumAdapterReport> | null = null;
  private exited = false;

  constructor(
    private readonly options: RoutingTrainingWorkerOptions,
    private readonly listeners: TrainingWorkerListeners,
  ) {}

  get alive(): boolean {
    return !this.exited;
  }

  send(message: HostToWorkerMessage): void {
    if (this.exited) {
      throw new TrainingWorkerHostError(
        `Cannot send "${message.type}" for run "${message.runId}": the training worker has exited.`,
      );
    }
    this.waiting.push(message);
    if (this.waiting.length === 1) this.dispatchWaiting();
  }

  /**
   * Sends waiting messages in order until one needs a route that is not known yet. Called from
   * `send`, a side that refuses a message throws to the sender; later (after a route was awaited)
   * the refusal is reported as the worker's error message.
   */
  private dispatchWaiting(later = false): void {
    while (this.waiting.length > 0 && !this.exited) {
      if (later) {
        try {
          if (!this.dispatchNext()) return;
        } catch (error) {
          this.listeners.message({ type: 'error', message: error instanceof Error ? error.message : String(error) });
        }
      } else if (!this.dispatchNext()) return;
    }
  }

  /** Sends the first waiting message; false when it waits for its route. */
  private dispatchNext(): boolean {
    const message = this.waiting[0];
    if (message.type === 'start') {
      let route: RunRoute | Promise<RunRoute>;
      try {
        route = this.options.route(message.config, () => this.askGpuWindow());
      } catch (error) {
        this.waiting.shift(); // a message no route takes must not hold up the ones behind it
        throw error;
      }
      if (route instanceof Promise) {
        void route.then(
          (known) => this.afterRoute(message, known),
          (error: unknown) => this.afterRoute(message, { side: 'node', notes: [routeFailure(error)] }),
        );
        return false;
      }
      this.waiting.shift();
      this.sendStart(message, route);
    } else {
      this.waiting.shift();
      const side = message.type === 'ood' ? 'node' : (this.runSides.get(message.runId) ?? 'node');
      this.worker(side).send(message);
    }
    return true;
  }

  private afterRoute(message: Extract<HostToWorkerMessage, { type: 'start' }>, route: RunRoute): void {
    if (this.exited || this.waiting[0] !== message) return;
    this.waiting.shift();
    try {
      this.sendStart(message, route);
    } catch (error) {
      // The pool sent it long ago: a side that cannot take it is reported as the worker's problem.
      this.listeners.message({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
    this.dispatchWaiting(true);
  }

  private sendStart(message: Extract<HostToWorkerMessage, { type: 'start' }>, route: RunRoute): void {
    this.runSides.set(message.runId, route.side);
    const notes = [...(message.backendNotes ?? []), ...(route.notes ?? [])];
    this.worker(route.side).send(notes.length ? { ...message, backendNotes: notes } : message);
  }

  /** Opens the GPU window if needed and asks which adapter it has; a window without a hardware one is closed again. */
  private askGpuWindow(): Promise<ChromiumAdapterReport> {
    if (!this.adapterReport) {
      const asked = this.gpuWorker().probeAdapter();
      this.adapterReport = asked;
      asked.then(
        (report) => {
          if (report.ok && !report.adapter.fallback) return;
          this.closeIdleGpuWindow(); // no auto run will go there; a `webgpu` run opens it again
        },
        () => {
          if (this.adapterReport === asked) this.adapterReport = null;
        },
      );
    }
    return this.adapterReport;
  }

  private closeIdleGpuWindow(): void {
    const gpu = this.workers.gpu;
    if (!gpu || [...this.runSides.values()].includes('gpu')) return;
    this.workers.gpu = null; // detached first: its exit is not a crash
    void gpu.terminate();
  }

  async terminate(): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    this.waiting.length = 0;
    const workers = [this.workers.node, this.workers.gpu];
    this.workers.node = this.workers.gpu = null; // detached first: their exits are not crashes
    await Promise.all(workers.map((worker) => worker?.terminate()));
    this.listeners.exit('The training worker was closed.');
  }

  private gpuWorker(): GpuTrainingWorkerHandle {
    return this.worker('gpu') as GpuTrainingWorkerHandle;
  }

  private worker(side: Side): TrainingWorkerHandle {
    const existing = this.workers[side];
    if (existing?.alive) return existing;
    const worker: TrainingWorkerHandle = this.options[side]({
      message: (message) => {
        if (this.workers[side] !== worker) return;
        if (message.type === 'done') this.runSides.delete(message.runId);
        this.listeners.message(message);
      },
      exit: (reason) => {
        if (this.workers[side] !== worker) return; // terminated on purpose, or already replaced
        this.workers[side] = null;
        const trainingHere = [...this.runSides.values()].includes(side);
        if (side === 'gpu' && !trainingHere) return; // started again for the next GPU run
        void this.end(reason);
      },
    });
    if (side === 'gpu') this.workers.gpu = worker as GpuTrainingWorkerHandle;
    else this.workers.node = worker;
    return worker;
  }

  /** One side died while it mattered: the other is ended too, and the pool hears of it once. */
  private async end(reason: string): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    const others = [this.workers.node, this.workers.gpu];
    this.workers.node = this.workers.gpu = null;
    this.runSides.clear();
    this.waiting.length = 0;
    this.listeners.exit(reason);
    await Promise.all(others.map((worker) => worker?.terminate()));
  }
}

function routeFailure(error: unknown): { name: string; reason: string } {
  return {
    name: 'webgpu',
    reason: `the desktop app's GPU window was not used: choosing where to train failed (${error instanceof Error ? error.message : String(error)})`,
  };
}

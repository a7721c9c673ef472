/**
 * One training worker made of two: the Node worker thread, and the desktop app's GPU window
 * (./portTrainingWorker.ts), each started when a message first needs it. A run goes to the GPU
 * window when `trainsOnGpu` says so for its configuration (in the desktop app: the `webgpu`
 * backend, because Dawn's Node binding cannot run under Electron's memory cage — README, "GPU
 * training in the desktop app"); its stop/pause/resume follow it; classification requests always
 * go to the Node worker, which reads the run folders. To the pool (./workerPool.ts) it is one
 * worker: it ends, and says so once, when the Node worker ends or when the GPU window ends while it
 * trains a run; a GPU window that ends between runs is started again for the next one.
 */
import type { RunConfig } from '../../core/contract/runConfig';
import type { HostToWorkerMessage } from '../worker/messages';
import {
  TrainingWorkerHostError,
  type TrainingWorkerFactory,
  type TrainingWorkerHandle,
  type TrainingWorkerListeners,
} from './trainingWorker';

export interface RoutingTrainingWorkerOptions {
  node: TrainingWorkerFactory;
  gpu: TrainingWorkerFactory;
  trainsOnGpu(config: RunConfig): boolean;
}

type Side = 'node' | 'gpu';

export class RoutingTrainingWorker implements TrainingWorkerHandle {
  private readonly workers: Record<Side, TrainingWorkerHandle | null> = { node: null, gpu: null };
  /** The side training each run it was sent, until that run's `done`. */
  private readonly runSides = new Map<string, Side>();
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
    let side: Side;
    if (message.type === 'start') {
      side = this.options.trainsOnGpu(message.config) ? 'gpu' : 'node';
      this.runSides.set(message.runId, side);
    } else if (message.type === 'ood') {
      side = 'node';
    } else {
      side = this.runSides.get(message.runId) ?? 'node';
    }
    this.worker(side).send(message);
  }

  async terminate(): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    const workers = [this.workers.node, this.workers.gpu];
    this.workers.node = this.workers.gpu = null; // detached first: their exits are not crashes
    await Promise.all(workers.map((worker) => worker?.terminate()));
    this.listeners.exit('The training worker was closed.');
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
    this.workers[side] = worker;
    return worker;
  }

  /** One side died while it mattered: the other is ended too, and the pool hears of it once. */
  private async end(reason: string): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    const others = [this.workers.node, this.workers.gpu];
    this.workers.node = this.workers.gpu = null;
    this.runSides.clear();
    this.listeners.exit(reason);
    await Promise.all(others.map((worker) => worker?.terminate()));
  }
}

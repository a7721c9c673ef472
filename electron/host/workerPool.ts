/**
 * The training workers a RunManager trains on: `concurrency` slots, each a worker thread started
 * when a run needs it and kept for the next run. The shells use one slot: tfjs-node (the
 * `tensorflow` backend) is known to fail when a second thread loads it, so two workers are only
 * safe on the wasm and cpu backends. A worker that dies is forgotten and its slot respawns.
 */
import type {
  HostToWorkerMessage,
  OodReplyMessage,
  OodRequestMessage,
  StartRunMessage,
  WorkerToHostMessage,
} from '../worker/messages';
import {
  TrainingWorker,
  type TrainingWorkerFactory,
  type TrainingWorkerHandle,
  type TrainingWorkerListeners,
} from './trainingWorker';

export class WorkerPoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerPoolError';
  }
}

export interface WorkerPoolListeners {
  /** A message from the worker that trains `runId` (null: the worker is between runs). */
  message(runId: string | null, message: Exclude<WorkerToHostMessage, OodReplyMessage>): void;
  /** The worker training `runId` ended unexpectedly; `reason` is a sentence for the user. */
  workerDied(runId: string, reason: string): void;
}

interface Slot {
  worker: TrainingWorkerHandle | null;
  runId: string | null;
}

export const MAX_CONCURRENCY = 8;

interface PendingRequest {
  worker: TrainingWorkerHandle;
  resolve(reply: OodReplyMessage): void;
  reject(error: Error): void;
}

export class WorkerPool {
  private readonly slots: Slot[];
  private readonly pendingRequests = new Map<number, PendingRequest>();
  private nextRequestId = 1;

  /** `worker`: the Node worker's entry, or a factory of another kind of training worker (the desktop app's). */
  constructor(
    private readonly worker: URL | TrainingWorkerFactory,
    concurrency: number,
    private readonly listeners: WorkerPoolListeners,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new WorkerPoolError(
        `The training concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, found ${concurrency}.`,
      );
    }
    this.slots = Array.from({ length: concurrency }, () => ({ worker: null, runId: null }));
  }

  get hasFreeSlot(): boolean {
    return this.slots.some((slot) => slot.runId === null);
  }

  /** Ids of the runs being trained now. */
  get trainingRunIds(): string[] {
    return this.slots.flatMap((slot) => (slot.runId === null ? [] : [slot.runId]));
  }

  isTraining(runId: string): boolean {
    return this.slots.some((slot) => slot.runId === runId);
  }

  /** Starts a run on a free slot, spawning its worker if needed. */
  start(message: StartRunMessage): void {
    const slot = this.slots.find((candidate) => candidate.runId === null);
    if (!slot)
      throw new WorkerPoolError(
        `No training worker is free for run "${message.runId}"; the run manager must queue it.`,
      );
    if (!slot.worker?.alive) slot.worker = this.spawn(slot);
    slot.runId = message.runId;
    slot.worker.send(message);
  }

  /** Sends stop/pause/resume to the worker training the run; false when no worker trains it. */
  send(message: Exclude<HostToWorkerMessage, StartRunMessage>): boolean {
    const slot = this.slots.find((candidate) => candidate.runId === message.runId);
    if (!slot?.worker?.alive) return false;
    slot.worker.send(message);
    return true;
  }

  /**
   * Sends a classification request to a worker — an idle one if there is one, else one that is
   * training (it serves the request between steps), else a fresh one on a free slot, kept for the
   * next run — and resolves with its reply. Rejects if that worker dies or the pool ends first.
   */
  request(message: Omit<OodRequestMessage, 'requestId'>): Promise<OodReplyMessage> {
    const slot =
      this.slots.find((candidate) => candidate.runId === null && candidate.worker?.alive) ??
      this.slots.find((candidate) => candidate.worker?.alive) ??
      this.slots.find((candidate) => candidate.runId === null) ??
      this.slots[0];
    if (!slot.worker?.alive) slot.worker = this.spawn(slot);
    const worker = slot.worker;
    const requestId = this.nextRequestId++;
    return new Promise<OodReplyMessage>((resolve, reject) => {
      this.pendingRequests.set(requestId, { worker, resolve, reject });
      try {
        worker.send({ ...message, requestId });
      } catch (error) {
        this.pendingRequests.delete(requestId);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** The run is over (its worker said so, or it was failed): its slot takes the next run. */
  release(runId: string): void {
    for (const slot of this.slots) if (slot.runId === runId) slot.runId = null;
  }

  async terminate(): Promise<void> {
    const workers = this.slots.map((slot) => slot.worker);
    for (const slot of this.slots) slot.worker = null; // detached first: their exits are not crashes
    this.rejectRequests(() => true, 'The workbench is shutting down; the classification request was abandoned.');
    await Promise.all(workers.map((worker) => worker?.terminate()));
  }

  private spawn(slot: Slot): TrainingWorkerHandle {
    const listeners: TrainingWorkerListeners = {
      message: (message) => {
        if (message.type === 'oodReply') {
          const pending = this.pendingRequests.get(message.requestId);
          this.pendingRequests.delete(message.requestId);
          pending?.resolve(message);
          return;
        }
        if (slot.worker === worker) this.listeners.message(slot.runId, message);
      },
      exit: (reason) => {
        this.rejectRequests(
          (pending) => pending.worker === worker,
          `${reason} The classification request was lost; try again.`,
        );
        if (slot.worker !== worker) return; // terminated on purpose, or already replaced
        slot.worker = null;
        const runId = slot.runId;
        if (runId) this.listeners.workerDied(runId, reason);
      },
    };
    const worker: TrainingWorkerHandle =
      typeof this.worker === 'function' ? this.worker(listeners) : new TrainingWorker(this.worker, listeners);
    return worker;
  }

  private rejectRequests(which: (pending: PendingRequest) => boolean, reason: string): void {
    for (const [requestId, pending] of this.pendingRequests) {
      if (!which(pending)) continue;
      this.pendingRequests.delete(requestId);
      pending.reject(new WorkerPoolError(reason));
    }
  }
}

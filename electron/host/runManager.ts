/**
 * Runs, from request to record: a FIFO queue trained one at a time on the one training worker,
 * every event stored before it is forwarded (coalesced) to subscribers, run.json kept current,
 * and a dead worker answered by failing its run and starting a fresh worker for the queue.
 * Knows nothing of transports; the shells and the API handler sit on top of it.
 */
import { runConfigSchema, type RunConfig, type RunConfigInput } from '../../core/contract/runConfig';
import type { RunEvent, RunState } from '../../core/contract/runEvent';
import type { RunRecord, RunSummary } from '../../core/contract/workbenchApi';
import type { WorkerToHostMessage } from '../worker/messages';
import { EventCoalescer, type CoalescingIntervals } from './eventCoalescer';
import { createRunId, RunStore, RunStoreError, type RunListing } from './runStore';
import { defaultTrainingWorkerUrl, TrainingWorker } from './trainingWorker';

export class RunManagerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunManagerError';
  }
}

export interface RunManagerOptions {
  store: RunStore;
  /** Optimizer steps of a configuration (the experiment registry knows). */
  totalSteps(config: RunConfig): number;
  /** The worker entry; defaults to electron/worker/worker.ts (source) or worker.js (bundle). */
  workerUrl?: URL;
  coalescing?: CoalescingIntervals;
  /** Longest time run.json's step may lag behind the event stream. */
  recordWriteIntervalMs?: number;
  /** Where problems that belong to no request go (a corrupt run folder, a confused worker). */
  warn?(message: string): void;
}

export interface StartRunRequest {
  config: RunConfigInput;
  name?: string;
}

type FinishedState = Extract<RunState, 'completed' | 'stopped' | 'failed' | 'interrupted'>;

interface ActiveRun {
  record: RunRecord;
  /** Set once finishRun has begun, so a second end (worker exit after done) is ignored. */
  finishing?: boolean;
  lastRecordWrite: number;
  recordWriteTimer: NodeJS.Timeout | null;
}

export class RunManager {
  private readonly store: RunStore;
  private readonly workerUrl: URL;
  private readonly coalescer: EventCoalescer;
  private readonly listeners = new Set<(event: RunEvent) => void>();
  /** Runs not yet finished (queued or training), by id. */
  private readonly active = new Map<string, ActiveRun>();
  private readonly queue: string[] = [];
  private readonly finishWaiters = new Map<string, ((record: RunRecord) => void)[]>();
  private worker: TrainingWorker | null = null;
  private trainingRunId: string | null = null;
  private closing = false;

  constructor(private readonly options: RunManagerOptions) {
    this.store = options.store;
    this.workerUrl = options.workerUrl ?? defaultTrainingWorkerUrl();
    this.coalescer = new EventCoalescer((event) => this.forward(event), options.coalescing);
  }

  /** Marks runs a dead process left unfinished as interrupted; returns their ids. */
  async initialize(): Promise<string[]> {
    return this.store.markInterruptedRuns();
  }

  get runsDir(): string {
    return this.store.runsDir;
  }

  /** Calls `listener` with every (coalesced) event of every run; returns the unsubscribe function. */
  subscribe(listener: (event: RunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async startRun(request: StartRunRequest): Promise<RunRecord> {
    if (this.closing) throw new RunManagerError('The workbench is shutting down and takes no new runs.');
    const parsed = runConfigSchema.safeParse(request.config);
    if (!parsed.success) {
      throw new RunManagerError(`The run configuration is not valid: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`).join('; ')}.`);
    }
    const config = parsed.data;
    const record = await this.createRecord(config, request.name);
    this.active.set(record.id, { record, lastRecordWrite: Date.now(), recordWriteTimer: null });
    this.emit({ type: 'status', runId: record.id, step: 0, time: Date.now(), state: 'queued', message: this.queueMessage() });
    this.queue.push(record.id);
    this.pump();
    return { ...record };
  }

  /** Stops a queued or training run; stopping a finished run does nothing. */
  async stopRun(id: string): Promise<void> {
    const queuedAt = this.queue.indexOf(id);
    if (queuedAt >= 0) {
      this.queue.splice(queuedAt, 1);
      await this.finishRun(id, { state: 'stopped', message: 'Stopped before it started training.' });
      return;
    }
    if (id === this.trainingRunId && this.worker?.alive) {
      this.worker.send({ type: 'stop', runId: id });
      return;
    }
    await this.store.readRecord(id); // unknown ids get the store's clear "no such run"
  }

  async getRun(id: string): Promise<RunRecord> {
    const active = this.active.get(id);
    return active ? { ...active.record } : this.store.readRecord(id);
  }

  /** Every stored run, newest first, with the live state of the ones this manager is running. */
  async listRuns(): Promise<RunListing> {
    const listing = await this.store.listRuns();
    return { ...listing, runs: listing.runs.map((record) => this.active.get(record.id)?.record ?? record) };
  }

  /** The complete event history of a run (never coalesced). */
  async getRunEvents(id: string): Promise<RunEvent[]> {
    const stored = await this.store.readEvents(id);
    if (stored.skippedLines > 0) this.warn(`Run "${id}": ${stored.skippedLines} line(s) of events.ndjson are not valid events and were left out.`);
    return stored.events;
  }

  /** Resolves with the run's final record once it has finished and run.json is written. */
  waitForRun(id: string): Promise<RunRecord> {
    if (!this.active.has(id)) return this.store.readRecord(id);
    return new Promise((resolve) => {
      const waiters = this.finishWaiters.get(id) ?? [];
      waiters.push(resolve);
      this.finishWaiters.set(id, waiters);
    });
  }

  /**
   * Shuts down: queued runs are stopped, the training run is asked to stop and given `graceMs` to
   * end cleanly (after that it is recorded as interrupted), then the worker ends and events are flushed.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const id of this.queue.splice(0)) {
      await this.finishRun(id, { state: 'stopped', message: 'Stopped because the workbench shut down before it started.' });
    }
    const trainingId = this.trainingRunId;
    if (trainingId && this.worker?.alive) {
      const finished = this.waitForRun(trainingId);
      this.worker.send({ type: 'stop', runId: trainingId });
      const timedOut = await Promise.race([finished.then(() => false), delay(graceMs).then(() => true)]);
      if (timedOut && this.active.has(trainingId)) {
        await this.finishRun(trainingId, { state: 'interrupted', message: `The workbench shut down and the run did not stop within ${graceMs / 1000} s.` });
      }
    }
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
    this.coalescer.dispose();
    await this.store.close();
  }

  private async createRecord(config: RunConfig, name: string | undefined): Promise<RunRecord> {
    const totalSteps = this.options.totalSteps(config);
    for (let attempt = 0; ; attempt += 1) {
      const record: RunRecord = {
        id: createRunId(config.experiment),
        name: name?.trim() || `${config.experiment} · ${config.preset} · seed ${config.seed}`,
        tags: [],
        config,
        state: 'queued',
        createdAt: new Date().toISOString(),
        step: 0,
        totalSteps,
      };
      try {
        await this.store.createRun(record);
        return record;
      } catch (error) {
        // Two runs started in the same second may draw the same suffix; draw again.
        if (!(error instanceof RunStoreError) || attempt >= 3) throw error;
      }
    }
  }

  private queueMessage(): string {
    const ahead = this.queue.length + (this.trainingRunId ? 1 : 0);
    return ahead === 0 ? 'Queued; starts next.' : `Queued behind ${ahead} run(s).`;
  }

  /** Starts the next queued run when the worker is free. */
  private pump(): void {
    if (this.closing || this.trainingRunId || this.queue.length === 0) return;
    const id = this.queue.shift()!;
    const run = this.active.get(id);
    if (!run) return this.pump();
    if (!this.worker?.alive) this.worker = this.spawnWorker();
    this.trainingRunId = id;
    try {
      this.worker.send({ type: 'start', runId: id, config: run.record.config });
    } catch (error) {
      void this.failTrainingRun(error instanceof Error ? error.message : String(error));
    }
  }

  private spawnWorker(): TrainingWorker {
    const worker: TrainingWorker = new TrainingWorker(this.workerUrl, {
      message: (message) => this.onWorkerMessage(message),
      exit: (reason) => {
        if (this.worker !== worker) return; // terminated on purpose, or already replaced
        this.worker = null;
        if (this.trainingRunId) void this.failTrainingRun(reason);
      },
    });
    return worker;
  }

  private async failTrainingRun(reason: string): Promise<void> {
    const id = this.trainingRunId;
    if (!id) return;
    await this.finishRun(id, { state: 'failed', message: reason });
  }

  private onWorkerMessage(message: WorkerToHostMessage): void {
    if (message.type === 'error') {
      this.warn(message.message);
      return;
    }
    const runId = message.type === 'event' ? message.event.runId : message.runId;
    if (runId !== this.trainingRunId) {
      this.warn(`The training worker reported on run "${runId}", which is not the run it is training; the report was ignored.`);
      return;
    }
    if (message.type === 'event') {
      this.onRunEvent(message.event);
    } else {
      void this.finishRun(runId, { state: message.state, message: message.message, summary: message.summary, step: message.step }, { statusAlreadyEmitted: true });
    }
  }

  private onRunEvent(event: RunEvent): void {
    const run = this.active.get(event.runId);
    if (!run) return;
    const record = run.record;
    record.step = Math.max(record.step, event.step);
    this.emit(event);
    if (event.type === 'status' && event.state !== 'running') {
      // A final status from the worker: the in-memory record says so at once, so getRun never
      // answers with the old state while run.json is being written.
      record.state = event.state;
      if (event.message !== undefined) record.message = event.message;
    } else if (event.type === 'status') {
      record.state = 'running';
      record.startedAt = new Date(event.time).toISOString();
      record.backend = event.backend;
      record.message = event.message;
      this.writeRecordNow(run);
    } else {
      this.writeRecordSoon(run);
    }
  }

  /** Records a run's end: final status event (unless the worker sent it), run.json, events flushed. */
  private async finishRun(
    id: string,
    end: { state: FinishedState; message?: string; summary?: RunSummary; step?: number },
    { statusAlreadyEmitted = false } = {},
  ): Promise<void> {
    const run = this.active.get(id);
    if (!run || run.finishing) return;
    run.finishing = true;
    if (run.recordWriteTimer) clearTimeout(run.recordWriteTimer);
    const record = run.record;
    record.state = end.state;
    record.step = Math.max(record.step, end.step ?? 0);
    record.finishedAt = new Date().toISOString();
    if (end.message !== undefined) record.message = end.message;
    if (end.summary !== undefined) record.summary = end.summary;
    if (!statusAlreadyEmitted) {
      this.emit({ type: 'status', runId: id, step: record.step, time: Date.now(), state: end.state, ...(end.message ? { message: end.message } : {}) });
    }
    this.coalescer.forgetRun(id);
    if (this.trainingRunId === id) this.trainingRunId = null;
    try {
      await this.store.flushEvents(id);
      await this.store.writeRecord(record);
    } catch (error) {
      this.warn(`Run "${id}" finished but its files could not be written: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Removed only now: until run.json holds the final state, getRun answers from memory.
    this.active.delete(id);
    for (const resolve of this.finishWaiters.get(id) ?? []) resolve({ ...record });
    this.finishWaiters.delete(id);
    this.pump();
  }

  /** Stored first, then forwarded (coalesced). */
  private emit(event: RunEvent): void {
    this.store.appendEvent(event);
    this.coalescer.push(event);
  }

  private forward(event: RunEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.warn(`A run event listener failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private writeRecordNow(run: ActiveRun): void {
    if (run.recordWriteTimer) clearTimeout(run.recordWriteTimer);
    run.recordWriteTimer = null;
    run.lastRecordWrite = Date.now();
    this.store.writeRecord({ ...run.record }).catch((error) => this.warn(`Could not update run.json of "${run.record.id}": ${String(error)}`));
  }

  private writeRecordSoon(run: ActiveRun): void {
    if (run.recordWriteTimer) return;
    const interval = this.options.recordWriteIntervalMs ?? 2000;
    const wait = Math.max(0, run.lastRecordWrite + interval - Date.now());
    run.recordWriteTimer = setTimeout(() => {
      if (this.active.get(run.record.id) === run && !run.finishing) this.writeRecordNow(run);
    }, wait);
    run.recordWriteTimer.unref();
  }

  private warn(message: string): void {
    (this.options.warn ?? ((text: string) => console.error(`Bayesian Workbench: ${text}`)))(message);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Runs, from request to record: a FIFO queue trained on the training worker (one at a time unless
 * `concurrency` says otherwise), every event stored before it is forwarded (coalesced) to
 * subscribers, run.json kept current, every checkpoint the worker sends stored, and a dead worker
 * answered by failing its run and starting a fresh worker for the queue. Runs can be paused,
 * resumed (a finished one from its checkpoint), renamed, tagged and deleted.
 * A run whose folder cannot be written (disk full, folder removed) ends `failed` with the reason.
 * Resume, delete, rename and tag requests of one run are serialized (check-then-act: a delete
 * racing a resume sees the resumed run and is refused). On a read-only store (another process owns
 * the runs folder) everything that would write is refused with the owner named.
 * Knows nothing of transports; the shells and the API handler sit on top of it.
 */
import { runConfigSchema, type RunConfig, type RunConfigInput } from '../../core/contract/runConfig';
import type { RunEvent, RunState } from '../../core/contract/runEvent';
import { currentTimeline } from '../../core/contract/runTimeline';
import { runBudgetProblems } from '../../core/experiments/budgets';
import { methods } from '../../core/methods/index';
import type { RunRecord, RunSummary } from '../../core/contract/workbenchApi';
import type { RunSweepTag } from '../../core/contract/sweep';
import type { SerializedCheckpoint } from '../../core/training/checkpoint';
import type { OodReplyMessage, OodRequestMessage, WorkerToHostMessage } from '../worker/messages';
import { ActiveRun, type RunPersistence } from './activeRun';
import { EventCoalescer, type CoalescingIntervals } from './eventCoalescer';
import { assertIdxImageSize } from './idxImageSize';
import { KeyedQueue } from './keyedQueue';
import { createRunId, RunStore, RunStoreError, type RunListing } from './runStore';
import { defaultTrainingWorkerUrl, type TrainingWorkerFactory } from './trainingWorker';
import { WorkerPool } from './workerPool';
import type { RunOn } from '../../core/contract/remoteRun';
import type { QueueTarget, RemoteRunSink } from './remote/queueTarget';

/** A configuration whose memory or event volume is over the workbench's limits (core/experiments/resourceBudget.ts) is refused before it is queued. */
function assertWithinBudget(config: RunConfig): void {
  const problems = runBudgetProblems(config);
  if (problems.length > 0) throw new RunManagerError(problems.join(' '));
}

/**
 * "sinusoid · default · seed 0"; a method other than VI is named too ("… · mc-dropout · seed 0"),
 * so runs that differ only in their method are told apart in lists, legends and the methods table.
 */
export function defaultRunName(config: RunConfig): string {
  const method = config.method && config.method !== 'vi' ? ` · ${methods[config.method].cliName}` : '';
  const members = config.method === 'ensemble' && 'members' in config ? ` ${config.members}` : '';
  return `${config.experiment} · ${config.preset}${method}${members} · seed ${config.seed}`;
}
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
  /** Another kind of training worker than the Node thread of `workerUrl` (the desktop app's router to its GPU window). */
  trainingWorkerFactory?: TrainingWorkerFactory;
  /**
   * Runs trained at once, each on its own worker thread. 1 by default, and 1 in every shell:
   * tfjs-node (the `tensorflow` backend) fails when a second thread loads it, so more is only
   * safe when every run uses the wasm or cpu backend.
   */
  concurrency?: number;
  coalescing?: CoalescingIntervals;
  /** Longest time run.json's step may lag behind the event stream. */
  recordWriteIntervalMs?: number;
  /** Where problems that belong to no request go (a corrupt run folder, a confused worker). */
  warn?(message: string): void;
  /** Training time between checkpoints taken without an evaluation (default 60 s: a crash loses at most about that much). */
  checkpointIntervalMs?: number;
  /** The run queue (Redis) for runs started with `runOn: 'queue'`, opened by the caller; none: local runs only. */
  remote?: QueueTarget;
}

export interface StartRunRequest {
  config: RunConfigInput;
  name?: string;
  /** `queue`: trained by a queue worker on another machine (needs `remote`); this machine by default. */
  runOn?: RunOn;
  /** The sweep that starts this run (./sweepService): stored in run.json as `sweep`. */
  sweep?: RunSweepTag;
}

type FinishedState = Extract<RunState, 'completed' | 'stopped' | 'failed' | 'interrupted'>;

export class RunManager {
  private readonly store: RunStore;
  private readonly workerUrl: URL;
  private readonly coalescer: EventCoalescer;
  private readonly listeners = new Set<(event: RunEvent) => void>();
  /** Runs not yet finished (queued or training), by id. */
  private readonly active = new Map<string, ActiveRun>();
  private readonly queue: string[] = [];
  private readonly finishWaiters = new Map<string, ((record: RunRecord) => void)[]>();
  private readonly pool: WorkerPool;
  private readonly persistence: RunPersistence;
  /** Resume, delete, rename and tag of one run, one at a time (check-then-act). */
  private readonly lifecycle = new KeyedQueue();
  private closing = false;
  /** Of remote runs re-attached after a restart: the events already in their log's tail (type|step|time). */
  private readonly remoteLogged = new Map<string, Set<string>>();

  constructor(private readonly options: RunManagerOptions) {
    this.store = options.store;
    this.workerUrl = options.workerUrl ?? defaultTrainingWorkerUrl();
    this.coalescer = new EventCoalescer((event) => this.forward(event), options.coalescing);
    this.persistence = {
      store: this.store,
      recordWriteIntervalMs: options.recordWriteIntervalMs ?? 2000,
      warn: (message) => this.warn(message),
    };
    this.pool = new WorkerPool(options.trainingWorkerFactory ?? this.workerUrl, options.concurrency ?? 1, {
      message: (runId, message) => this.onWorkerMessage(runId, message),
      workerDied: (runId, reason) =>
        void this.finishRun(runId, { state: 'failed', message: this.active.get(runId)?.failure ?? reason }),
    });
    this.store.onWriteFailure((runId, error) => this.onStoreWriteFailure(runId, error));
  }

  /**
   * Marks runs a dead process left unfinished as interrupted; returns their ids. A read-only store
   * (another process owns the runs folder) changes nothing; a run that cannot be updated is warned
   * about and skipped.
   */
  async initialize(): Promise<string[]> {
    if (this.store.readOnly) return [];
    const remote = this.options.remote;
    const interrupted = await this.store.markInterruptedRuns(
      new Date(),
      (_id, reason) => this.warn(reason),
      // Remote runs go on on their workers while no host is there: they are re-attached, not interrupted.
      remote ? (record) => record.runOn === 'queue' : undefined,
    );
    if (remote && remote.unavailableReason === null) await this.reattachRemoteRuns(remote);
    else if (remote)
      this.warn(
        'Runs on the run queue are not re-attached while it cannot be used; they stay as they are and are taken up at the next start with the queue.',
      );
    return interrupted;
  }

  /** The run queue's state for the environment: its URL (password masked) and why it cannot be used now. */
  get queueStatus(): { url: string; problem?: string } | undefined {
    const remote = this.options.remote;
    if (!remote) return undefined;
    const problem = remote.unavailableReason;
    return { url: remote.queueUrl.display, ...(problem ? { problem } : {}) };
  }

  /** What the run queue hands over: the same path into the run's record and store as a local worker's messages. */
  remoteSink(): RemoteRunSink {
    return {
      attemptStarted: (runId, attempt, worker, fromStep, time) => {
        const run = this.active.get(runId);
        if (!run) return;
        const previous = run.record.worker;
        run.record.worker = worker;
        const message =
          attempt === 1
            ? `Taken by queue worker "${worker}".`
            : `Queue worker "${previous ?? 'unknown'}" stopped answering; "${worker}" continues from ${fromStep > 0 ? `the checkpoint at step ${fromStep}` : 'the start'} (attempt ${attempt}).`;
        const event: RunEvent = {
          type: 'status',
          runId,
          step: fromStep,
          time,
          state: 'queued',
          message,
          ...(attempt > 1 ? { resumedFromStep: fromStep } : {}),
        };
        if (!this.remoteLogged.get(runId)?.has(loggedKey(event))) this.onRunEvent(event);
        run.writeRecordNow();
      },
      event: (runId, event) => this.onRunEvent(event),
      checkpoint: async (runId, checkpoint) => {
        const run = this.active.get(runId);
        if (!run) return;
        run.storeCheckpoint(checkpoint);
        await run.checkpointsWritten();
      },
      done: (runId, end) => {
        const run = this.active.get(runId);
        if (run && end.backend) run.record.backend = end.backend;
        void this.finishRun(
          runId,
          { state: end.state, message: end.message, summary: end.summary, step: end.step },
          { statusAlreadyEmitted: true },
        );
      },
      fail: (runId, reason) => void this.finishRun(runId, { state: 'failed', message: reason }),
      persisted: async (runId) => {
        await this.active.get(runId)?.checkpointsWritten();
        await this.store.flushEvents(runId);
      },
      alreadyStored: (runId, event) => this.remoteLogged.get(runId)?.has(loggedKey(event)) ?? false,
      warn: (message) => this.warn(message),
    };
  }

  /** Remote runs left queued or training by the previous host process: read on from their streams. */
  private async reattachRemoteRuns(remote: QueueTarget): Promise<void> {
    const { runs } = await this.store.listRuns();
    for (const record of runs) {
      if (record.runOn !== 'queue' || !['queued', 'running', 'paused'].includes(record.state)) continue;
      try {
        const stored = await this.store.readEvents(record.id);
        this.remoteLogged.set(record.id, new Set(stored.events.slice(-2000).map(loggedKey)));
        this.active.set(record.id, new ActiveRun({ ...record }, this.persistence));
        const outcome = await remote.reattach(record.id);
        if (outcome === 'gone')
          await this.finishRun(record.id, {
            state: 'interrupted',
            message: `The run queue no longer knows this run (its job and stream are gone); it can resume from its checkpoint${record.checkpointStep !== undefined ? ` at step ${record.checkpointStep}` : ''} if it has one.`,
          });
      } catch (error) {
        this.warn(
          `Run "${record.id}" trains on the run queue but could not be re-attached: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  /** Why this manager cannot change the runs folder, or null when it can. */
  get readOnlyReason(): string | null {
    return this.store.access.mode === 'read-only' ? this.store.access.reason : null;
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
    this.store.assertWritable('Starting a run');
    const parsed = runConfigSchema.safeParse(request.config);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`)
        .join('; ');
      // The method registry's messages are whole sentences that end with a full stop already.
      throw new RunManagerError(`The run configuration is not valid: ${issues}${issues.endsWith('.') ? '' : '.'}`);
    }
    const config = parsed.data;
    assertWithinBudget(config);
    // A user's IDX folder of another image size is refused here, before a run folder exists.
    await assertIdxImageSize(config, 'no run was started');
    const remote = this.options.remote;
    if (request.runOn === 'queue') {
      if (!remote)
        throw new RunManagerError(
          'No run queue is configured, so the run cannot go to the queue: give the workbench a Redis URL (serve --queue redis://…, or Settings in the desktop app), or run it on this machine.',
        );
      remote.assertAvailable();
      const record = await this.createRecord(config, request.name, { runOn: 'queue', sweep: request.sweep });
      this.admitQueued(record, `Queued on the run queue (${remote.queueUrl.display}) for a queue worker.`);
      try {
        await remote.enqueue(record.id, config, this.options.checkpointIntervalMs);
      } catch (error) {
        const reason = `The run could not be queued: ${error instanceof Error ? error.message : String(error)}`;
        await this.finishRun(record.id, { state: 'failed', message: reason });
        throw new RunManagerError(reason);
      }
      return { ...record };
    }
    const record = await this.createRecord(config, request.name, { sweep: request.sweep });
    this.admitQueued(record, this.queueMessage());
    this.queue.push(record.id);
    this.pump();
    return { ...record };
  }

  /** Stops a queued or training run; stopping a finished run does nothing. */
  async stopRun(id: string): Promise<void> {
    const remote = this.options.remote;
    if (remote && this.active.get(id)?.record.runOn === 'queue') {
      const outcome = await remote.stop(id);
      if (outcome === 'removed-from-queue')
        await this.finishRun(id, { state: 'stopped', message: 'Stopped before a queue worker took it.' });
      return;
    }
    const queuedAt = this.queue.indexOf(id);
    if (queuedAt >= 0) {
      this.queue.splice(queuedAt, 1);
      await this.finishRun(id, { state: 'stopped', message: 'Stopped before it started training.' });
      return;
    }
    if (this.pool.send({ type: 'stop', runId: id })) return;
    const record = await this.store.readRecord(id); // unknown ids get the store's clear "no such run"
    if (record.state === 'queued' || record.state === 'running' || record.state === 'paused') {
      // Not this process's run: saying "stopped" and doing nothing would leave it running forever.
      this.store.assertWritable(`Stopping run "${id}"`);
      throw new RunManagerError(
        `Run "${id}" is ${record.state} according to its run.json, but this workbench is not training it; no process holds it, so it will be marked interrupted when the workbench next starts.`,
      );
    }
  }

  /** Holds a training run between two steps; the worker reports `paused` when it has. */
  async pauseRun(id: string): Promise<void> {
    const run = this.active.get(id);
    if (!run) {
      const record = await this.store.readRecord(id);
      throw new RunManagerError(`Run "${id}" is ${record.state}; only a training run can be paused.`);
    }
    if (run.record.runOn === 'queue' && this.options.remote) {
      await this.options.remote.control(id, 'pause');
      return;
    }
    if (!this.pool.send({ type: 'pause', runId: id })) {
      throw new RunManagerError(
        `Run "${id}" is queued and has not started training; only a training run can be paused (stop it to take it off the queue).`,
      );
    }
  }

  /**
   * A paused run goes on. An interrupted, stopped or failed run with a checkpoint is queued again
   * and continues from the checkpoint's step, appending to its event log; the `queued` status
   * event carries `resumedFromStep` (see core/contract/runTimeline.ts).
   */
  resumeRun(id: string): Promise<RunRecord> {
    return this.lifecycle.run(id, () => this.resumeRunNow(id));
  }

  private async resumeRunNow(id: string): Promise<RunRecord> {
    if (this.closing) throw new RunManagerError('The workbench is shutting down and resumes no runs.');
    const active = this.active.get(id);
    if (active) {
      if (active.record.runOn === 'queue' && this.options.remote) {
        await this.options.remote.control(id, 'resume');
        return { ...active.record };
      }
      if (active.record.state === 'paused' || this.pool.isTraining(id)) {
        this.pool.send({ type: 'resume', runId: id });
        return { ...active.record };
      }
      throw new RunManagerError(`Run "${id}" is already ${active.record.state}.`);
    }
    this.store.assertWritable(`Resuming run "${id}"`);
    const record = await this.store.readRecord(id);
    if (record.state === 'completed')
      throw new RunManagerError(
        `Run "${id}" has completed its ${record.totalSteps} steps; there is nothing to resume.`,
      );
    // A run stored by an older workbench may exceed today's limits: refused before it is queued.
    assertWithinBudget(record.config);
    if (record.state === 'queued' || record.state === 'running' || record.state === 'paused') {
      throw new RunManagerError(`Run "${id}" is ${record.state} in another workbench process; resume it there.`);
    }
    // Its IDX folder may have been rewritten since with images of another size.
    await assertIdxImageSize(record.config, `run "${id}" was not resumed`);
    let checkpoint: SerializedCheckpoint | null;
    try {
      checkpoint = await this.store.readCheckpoint(id);
    } catch (error) {
      throw new RunManagerError(
        `Run "${id}" cannot be resumed: its checkpoint is unusable (${error instanceof Error ? error.message : String(error)}).`,
      );
    }
    if (!checkpoint) {
      throw new RunManagerError(
        `Run "${id}" has no checkpoint to resume from (it ended at step ${record.step}, before its first evaluation); start a new run with its configuration instead.`,
      );
    }
    const step = checkpoint.manifest.step;
    if (step >= record.totalSteps)
      throw new RunManagerError(
        `Run "${id}" has a checkpoint at its last step (${step}); there is nothing left to train.`,
      );
    if (this.active.has(id)) throw new RunManagerError(`Run "${id}" is already queued.`); // a second resume raced this one
    const message = `Queued to resume from the checkpoint at step ${step}.`;
    const resumed: RunRecord = {
      ...record,
      state: 'queued',
      step,
      message,
      checkpointStep: step,
      finishedAt: undefined,
      summary: undefined,
    };
    await this.store.claimRun(id); // fails (and nothing is queued) if the folder is gone or cannot be written
    const run = new ActiveRun(resumed, this.persistence, checkpoint);
    this.active.set(id, run);
    this.emit({ type: 'status', runId: id, step, time: Date.now(), state: 'queued', message, resumedFromStep: step });
    run.writeRecordNow();
    this.queue.push(id);
    this.pump();
    return { ...resumed };
  }

  /** Removes a finished run's folder; a queued, training or paused run must be stopped first. */
  deleteRun(id: string): Promise<void> {
    return this.lifecycle.run(id, async () => {
      const run = this.active.get(id);
      if (run) throw new RunManagerError(`Run "${id}" is ${run.record.state}; stop it before deleting it.`);
      const remote = this.options.remote;
      const runOn = remote ? (await this.store.readRecord(id).catch(() => undefined))?.runOn : undefined;
      await this.store.deleteRun(id);
      // A remote run's leftovers in Redis go too; the folder is already gone, so a Redis that is away only warns.
      if (remote && runOn === 'queue')
        void remote
          .forgetDeleted(id)
          .catch((error: unknown) =>
            this.warn(
              `Run "${id}" was deleted, but the run queue still holds some of it: ${error instanceof Error ? error.message : String(error)}`,
            ),
          );
    });
  }

  renameRun(id: string, name: string): Promise<RunRecord> {
    return this.lifecycle.run(id, () => this.updateRecord(id, { name: name.trim() }));
  }

  /** Replaces the run's tags (trimmed, duplicates dropped, order kept). */
  setRunTags(id: string, tags: string[]): Promise<RunRecord> {
    const unique = [...new Set(tags.map((tag) => tag.trim()).filter(Boolean))];
    return this.lifecycle.run(id, () => this.updateRecord(id, { tags: unique }));
  }

  async getRun(id: string): Promise<RunRecord> {
    const active = this.active.get(id);
    if (!active) return this.store.readRecord(id);
    // A run whose worker said it ended is still storing its last checkpoint: the record is answered
    // once that is on disk, so that a window refreshing on the final status sees the checkpoint step
    // (and offers "Resume from checkpoint") rather than the one before it.
    if (active.record.state !== 'running' && active.record.state !== 'paused' && active.record.state !== 'queued')
      return this.waitForRun(id);
    return { ...active.record };
  }

  /** Every stored run, newest first, with the live state of the ones this manager is running; damaged folders with the reason. */
  async listRuns(): Promise<RunListing> {
    const listing = await this.store.listRuns();
    const live = (record: RunRecord) => this.active.get(record.id)?.record ?? record;
    return {
      runs: listing.runs.map(live),
      damaged: listing.damaged.map((run) => (run.record ? { ...run, record: live(run.record) } : run)),
    };
  }

  /**
   * The event history of a run (never coalesced) as it stands: of a resumed run, the stretch
   * trained after its checkpoint and lost is left out (events.ndjson keeps it). The log is read
   * as a stream and a very long run is thinned evenly (every kind of event keeps its last ones;
   * limits in eventLog.ts), so one call's answer stays bounded.
   */
  async getRunEvents(id: string): Promise<RunEvent[]> {
    const stored = await this.store.readEvents(id);
    if (stored.skippedLines > 0)
      this.warn(`Run "${id}": ${stored.skippedLines} line(s) of events.ndjson are not valid events and were left out.`);
    return currentTimeline(stored.events);
  }

  /**
   * Hands a classification request to the training worker (the one that owns tfjs): it is served
   * between training steps, or at once when nothing trains. See electron/worker/oodServer.ts.
   */
  requestClassification(message: Omit<OodRequestMessage, 'requestId'>): Promise<OodReplyMessage> {
    if (this.closing)
      return Promise.reject(new RunManagerError('The workbench is shutting down and classifies no images.'));
    return this.pool.request(message);
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
      await this.finishRun(id, {
        state: 'stopped',
        message: 'Stopped because the workbench shut down before it started.',
      });
    }
    await Promise.all(
      this.pool.trainingRunIds.map(async (trainingId) => {
        const finished = this.waitForRun(trainingId);
        if (!this.pool.send({ type: 'stop', runId: trainingId })) return;
        const timedOut = await Promise.race([finished.then(() => false), delay(graceMs).then(() => true)]);
        if (timedOut && this.active.has(trainingId)) {
          await this.finishRun(trainingId, {
            state: 'interrupted',
            message: `The workbench shut down and the run did not stop within ${graceMs / 1000} s.`,
          });
        }
      }),
    );
    // Remote runs go on on their workers; run.json keeps them running and the next start re-attaches.
    const remoteRuns = [...this.active.values()].filter((run) => run.record.runOn === 'queue');
    await this.options.remote?.close();
    for (const run of remoteRuns) {
      await run.settle();
      await this.store.writeRecord({ ...run.record }).catch(() => undefined);
    }
    await this.pool.terminate();
    this.coalescer.dispose();
    await this.store.close();
  }

  private async createRecord(
    config: RunConfig,
    name: string | undefined,
    tags: { runOn?: RunOn; sweep?: RunSweepTag } = {},
  ): Promise<RunRecord> {
    const totalSteps = this.options.totalSteps(config);
    for (let attempt = 0; ; attempt += 1) {
      const record: RunRecord = {
        id: createRunId(config.experiment),
        name: name?.trim() || defaultRunName(config),
        tags: [],
        config,
        state: 'queued',
        createdAt: new Date().toISOString(),
        step: 0,
        totalSteps,
        ...(tags.runOn === 'queue' ? { runOn: tags.runOn } : {}),
        ...(tags.sweep ? { sweep: tags.sweep } : {}),
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

  /** A new run becomes active and says where it waits (this machine's queue or the run queue). */
  private admitQueued(record: RunRecord, message: string): void {
    this.active.set(record.id, new ActiveRun(record, this.persistence));
    this.emit({ type: 'status', runId: record.id, step: 0, time: Date.now(), state: 'queued', message });
  }

  private queueMessage(): string {
    const ahead = this.queue.length + this.pool.trainingRunIds.length;
    return this.queue.length === 0 && this.pool.hasFreeSlot ? 'Queued; starts next.' : `Queued behind ${ahead} run(s).`;
  }

  /** Starts queued runs while a worker slot is free. */
  private pump(): void {
    while (!this.closing && this.queue.length > 0 && this.pool.hasFreeSlot) {
      const id = this.queue.shift()!;
      const run = this.active.get(id);
      if (!run) continue;
      const checkpoint = run.resumeFrom;
      run.resumeFrom = undefined; // the worker has its own copy from here on
      try {
        this.pool.start({
          type: 'start',
          runId: id,
          config: run.record.config,
          ...(checkpoint ? { checkpoint } : {}),
          ...(this.options.checkpointIntervalMs !== undefined
            ? { checkpointIntervalMs: this.options.checkpointIntervalMs }
            : {}),
        });
      } catch (error) {
        void this.finishRun(id, { state: 'failed', message: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  private onWorkerMessage(trainingRunId: string | null, message: Exclude<WorkerToHostMessage, OodReplyMessage>): void {
    if (message.type === 'error') {
      this.warn(message.message);
      return;
    }
    const runId = message.type === 'event' ? message.event.runId : message.runId;
    if (runId !== trainingRunId) {
      this.warn(
        `The training worker reported on run "${runId}", which is not the run it is training; the report was ignored.`,
      );
      return;
    }
    const failure = this.active.get(runId)?.failure;
    if (failure !== undefined) {
      // The run's folder could not be written: it is stopping, and ends failed with that reason.
      if (message.type === 'done')
        void this.finishRun(runId, { state: 'failed', message: failure, step: message.step });
      return;
    }
    if (message.type === 'event') {
      this.onRunEvent(message.event);
    } else if (message.type === 'checkpoint') {
      this.active.get(runId)?.storeCheckpoint(message.checkpoint);
    } else {
      void this.finishRun(
        runId,
        { state: message.state, message: message.message, summary: message.summary, step: message.step },
        { statusAlreadyEmitted: true },
      );
    }
  }

  /**
   * A write of a run's folder failed (disk full, folder gone): training on would leave holes in its
   * log or checkpoint, so the run is stopped and ends `failed` with the reason. What was stored
   * stays; buffered events stay buffered (the store retries them, e.g. with its disk reserve).
   */
  private onStoreWriteFailure(runId: string, error: Error): void {
    const run = this.active.get(runId);
    if (!run || run.finishing || run.failure !== undefined) return;
    run.failure = writeFailureMessage(run.record, error);
    const queuedAt = this.queue.indexOf(runId);
    if (queuedAt >= 0) this.queue.splice(queuedAt, 1);
    if (!this.pool.send({ type: 'stop', runId })) void this.finishRun(runId, { state: 'failed', message: run.failure });
  }

  private onRunEvent(event: RunEvent): void {
    const run = this.active.get(event.runId);
    if (!run) return;
    const record = run.record;
    record.step = Math.max(record.step, event.step);
    // The in-memory record takes a status before subscribers hear it, so that whoever asks for the
    // record on hearing it (a window refreshing) gets the new state.
    if (event.type === 'status' && event.state !== 'running') {
      // A final status (or `paused`) from the worker: the in-memory record says so at once, so
      // getRun never answers with the old state while run.json is being written.
      record.state = event.state;
      if (event.message !== undefined) record.message = event.message;
    } else if (event.type === 'status') {
      record.state = 'running';
      record.startedAt ??= new Date(event.time).toISOString(); // the first start, not a resume
      record.backend = event.backend ?? record.backend;
      record.message = event.message;
    }
    this.emit(event);
    if (event.type !== 'status') run.writeRecordSoon();
    else if (event.state === 'running' || event.state === 'paused') run.writeRecordNow();
  }

  /** Records a run's end: final status event (unless the worker sent it), run.json, events flushed. */
  private async finishRun(
    id: string,
    end: { state: FinishedState; message?: string; summary?: RunSummary; step?: number },
    { statusAlreadyEmitted = false } = {},
  ): Promise<void> {
    const run = this.active.get(id);
    if (!run || run.finishing) return;
    const settled = run.settle();
    const record = run.record;
    record.state = end.state;
    record.step = Math.max(record.step, end.step ?? 0);
    record.finishedAt = new Date().toISOString();
    if (end.message !== undefined) record.message = end.message;
    if (end.summary !== undefined) record.summary = end.summary;
    if (!statusAlreadyEmitted) {
      this.emit({
        type: 'status',
        runId: id,
        step: record.step,
        time: Date.now(),
        state: end.state,
        ...(end.message ? { message: end.message } : {}),
      });
    }
    this.coalescer.forgetRun(id);
    this.pool.release(id);
    try {
      await settled;
      await this.store.finishRecord(record);
    } catch (error) {
      if (this.store.hasFullDisk(id) && record.state !== 'failed') {
        // The disk filled after the last timed flush (a fast worker can finish first): the run's
        // events are not all stored, so it did not complete. It ends failed with the reason, through
        // the store's disk-full path (reserve given back, run.json first, then what fits).
        await this.failFinishedRunForFullDisk(record, error as Error);
      } else {
        this.warn(
          `Run "${id}" finished but its files could not be written: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    // Removed only now: until run.json holds the final state, getRun answers from memory.
    this.active.delete(id);
    if (record.runOn === 'queue') {
      this.remoteLogged.delete(id);
      void this.options.remote?.forgetFinished(id);
    }
    for (const resolve of this.finishWaiters.get(id) ?? []) resolve({ ...record });
    this.finishWaiters.delete(id);
    this.pump();
  }

  private async failFinishedRunForFullDisk(record: RunRecord, error: Error): Promise<void> {
    record.state = 'failed';
    record.message = writeFailureMessage(record, error);
    const status: RunEvent = {
      type: 'status',
      runId: record.id,
      step: record.step,
      time: Date.now(),
      state: 'failed',
      message: record.message,
    };
    this.store.appendEvent(status);
    this.forward(status); // not coalesced: the run's coalescing state is already gone
    try {
      await this.store.finishRecord(record);
    } catch (again) {
      this.warn(
        `Run "${record.id}" failed for a full disk and its final files could not all be written: ${again instanceof Error ? again.message : String(again)}`,
      );
    }
  }

  /** Changes what the user names a run, in memory if the run is active, and writes run.json. */
  private async updateRecord(id: string, change: Pick<Partial<RunRecord>, 'name' | 'tags'>): Promise<RunRecord> {
    const stored = this.active.has(id) ? null : await this.store.readRecord(id);
    const run = this.active.get(id); // looked up again: the run may have been resumed meanwhile
    if (run) {
      Object.assign(run.record, change); // in place: finishRun may hold this very record
      run.writeRecordNow();
      return { ...run.record };
    }
    const updated = { ...stored!, ...change };
    await this.store.writeRecord(updated);
    return updated;
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

  private warn(message: string): void {
    (this.options.warn ?? ((text: string) => console.error(`Bayesian Workbench: ${text}`)))(message);
  }
}

/** What identifies a stored event when a re-read stream entry is matched against the log. */
function loggedKey(event: RunEvent): string {
  return `${event.type}|${event.step}|${event.time}`;
}

/** Why a run whose folder could not be written fails, and where it can resume from. */
function writeFailureMessage(record: RunRecord, error: Error): string {
  const resumable =
    record.checkpointStep !== undefined ? ` It can resume from its checkpoint at step ${record.checkpointStep}.` : '';
  return `Run "${record.id}" failed at step ${record.step}: ${error.message}${resumable}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

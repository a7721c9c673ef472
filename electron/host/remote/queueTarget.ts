/**
 * The execution target for runs trained on other machines: a run becomes a BullMQ job (validated
 * payload, core/contract/remoteRun.ts) that a `npm run worker` process takes; the worker appends
 * what the training thread reports to the run's Redis stream, and this target reads every stream
 * through one consumer group, validates each entry, hands it to the sink (the run manager, which
 * stores it through the RunStore) and acknowledges it (XACK) only once it is written.
 *
 * Exactly once and in order: entries carry (attempt, seq); an entry of an older attempt (a worker
 * that was declared dead but still talks) or a seq already applied is dropped. After a host
 * restart, a failed read or a read that spanned a reconnection, the group's pending entries (read
 * but not acknowledged) are read again first; after a host restart those
 * already in the event log are recognised by the sink (`alreadyStored`). A worker that dies is
 * noticed by BullMQ's stalled-job check; the job goes back to the queue and the next worker
 * continues from the checkpoint the host stored last (its Redis copy), announcing a new attempt.
 * A job that fails for good (stalled too often, or thrown) fails its run with BullMQ's reason.
 */
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  REMOTE_JOB_FORMAT,
  remoteEntryBodySchema,
  remoteEntryEnvelopeSchema,
  type RemoteCheckpoint,
  type RemoteEntryBody,
  type RemoteJob,
} from '../../../core/contract/remoteRun';
import type { RunConfig } from '../../../core/contract/runConfig';
import type { RunEvent } from '../../../core/contract/runEvent';
import type { SerializedCheckpoint } from '../../../core/training/checkpoint';
import {
  CONTROL_CHANNEL,
  DEFAULT_QUEUE_NAME,
  HOST_CONSUMER,
  HOST_GROUP,
  runKeys,
  type ControlCommand,
} from './queueKeys';
import {
  createRedis,
  describeRedisError,
  parseQueueUrl,
  probeRedis,
  QueueConnectionError,
  type QueueUrl,
} from './redisConnection';

/** What the target hands over; the run manager implements it. */
export interface RemoteRunSink {
  /** A worker began the run (attempt 1) or took it over from a dead one (attempt > 1, from `fromStep`). */
  attemptStarted(runId: string, attempt: number, worker: string, fromStep: number, time: number): void;
  event(runId: string, event: RunEvent): void;
  /** Stores the checkpoint (events before it first); resolves once it is on disk. */
  checkpoint(runId: string, checkpoint: SerializedCheckpoint): Promise<void>;
  done(runId: string, end: Extract<RemoteEntryBody, { kind: 'done' }>): void;
  /** Ends the run failed with `reason` (a bad entry, a job BullMQ gave up on). */
  fail(runId: string, reason: string): void;
  /** Resolves once everything handed over for the run is written (events flushed). */
  persisted(runId: string): Promise<void>;
  /** True when this event is already in the run's log (re-read after a host restart). */
  alreadyStored(runId: string, event: RunEvent): boolean;
  warn(message: string): void;
}

export interface QueueTargetOptions {
  url: string;
  queueName?: string;
  /** Longest wait of one read of the streams (ms); new runs join the read after at most this. */
  blockMs?: number;
  /** How often BullMQ retries a job whose processor threw (a dead worker is the stalled check's, not this). */
  attempts?: number;
}

interface RemoteRunState {
  runId: string;
  attempt: number;
  seq: number;
  /** Read the group's pending entries (after a restart) before new ones. */
  replayPending: boolean;
  /** BullMQ failed the job for good: the run fails once its stream has been read out. */
  jobFailure?: string;
  finished: boolean;
}

export type StopOutcome = 'removed-from-queue' | 'signalled';

export class QueueTarget {
  readonly queueUrl: QueueUrl;
  private readonly queueName: string;
  private readonly blockMs: number;
  private readonly attempts: number;
  private commands!: Redis;
  private reader!: Redis;
  private queue!: Queue;
  private queueEvents!: QueueEvents;
  /** QueueEvents' connection: BullMQ leaves a connection it was given open, so close() ends it. */
  private eventsConnection: Redis | undefined;
  private readonly runs = new Map<string, RemoteRunState>();
  private sink!: RemoteRunSink;
  private closing = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** Why the queue cannot be used now (Redis refused or is unreachable), or null. */
  private problem: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** The reader's connection closed since the current read was sent. */
  private readInterrupted = false;
  /** Resolves once connected (never, while Redis cannot be reached). */
  private connected!: () => void;
  readonly ready = new Promise<void>((resolve) => {
    this.connected = resolve;
  });

  constructor(options: QueueTargetOptions) {
    this.queueUrl = parseQueueUrl(options.url);
    this.queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
    this.blockMs = options.blockMs ?? 500;
    this.attempts = options.attempts ?? 3;
  }

  /** Connects (one probe first, so a wrong password or a dead server is said at once) and starts reading. */
  async open(sink: RemoteRunSink): Promise<void> {
    this.sink = sink;
    try {
      await probeRedis(this.queueUrl);
    } catch (error) {
      // The local queue goes on meanwhile; the queue is tried again until it answers.
      this.problem = error instanceof Error ? error.message : String(error);
      sink.warn(`The run queue cannot be used: ${this.problem} Trying again every 5 s.`);
      this.retryTimer = setTimeout(() => void this.open(sink), 5000);
      this.retryTimer.unref();
      return;
    }
    this.problem = null;
    this.commands = createRedis(this.queueUrl);
    this.reader = createRedis(this.queueUrl);
    for (const connection of [this.commands, this.reader]) {
      connection.on('error', (error) => this.noteProblem(error));
      connection.on('ready', () => {
        this.problem = null;
      });
    }
    // A read whose reply was lost with the connection (a Redis restart) may still have moved the
    // group past its entries: they wait, unacknowledged, in the pending list. ioredis resends the
    // read after reconnecting and that answers with *newer* entries, so a read that spans a
    // reconnection is not applied: the pending lists are read again first, in order.
    this.reader.on('close', () => {
      this.readInterrupted = true;
    });
    this.queue = new Queue(this.queueName, { connection: this.commands });
    this.queue.on('error', (error) => this.noteProblem(error));
    const eventsConnection = createRedis(this.queueUrl);
    this.eventsConnection = eventsConnection;
    eventsConnection.on('error', (error) => this.noteProblem(error));
    // Read the queue's events from the newest one there now, not from whenever QueueEvents' first
    // XREAD happens to run ('$'): on a loaded machine a job could fail in between and be missed.
    const newest = (await this.commands.xrevrange(this.queue.keys.events, '+', '-', 'COUNT', 1)) as [
      string,
      string[],
    ][];
    this.queueEvents = new QueueEvents(this.queueName, {
      connection: eventsConnection,
      lastEventId: newest[0]?.[0] ?? '0',
    });
    this.queueEvents.on('error', (error) => this.noteProblem(error));
    this.queueEvents.on('failed', ({ jobId, failedReason }) => void this.onJobFailed(jobId, failedReason));
    await this.queueEvents.waitUntilReady();
    this.loop = this.readLoop();
    this.connected();
  }

  /** A sentence for the user when the queue cannot be used now, else null. */
  get unavailableReason(): string | null {
    return this.problem;
  }

  /** Throws a clear error when Redis cannot be used now (nothing is queued then). */
  assertAvailable(): void {
    if (!this.queue && !this.problem)
      throw new QueueConnectionError('The run queue is still connecting; try again in a moment.');
    if (this.problem) throw new QueueConnectionError(`The run queue cannot be used: ${this.problem}`);
  }

  isRemote(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** Queues a run as a BullMQ job; its stream and consumer group exist before any worker can write. */
  async enqueue(runId: string, config: RunConfig, checkpointIntervalMs?: number): Promise<void> {
    const keys = runKeys(runId);
    await this.ensureGroup(keys.stream);
    await this.commands.del(keys.control, keys.attempt, keys.checkpoint);
    const payload: RemoteJob = {
      format: REMOTE_JOB_FORMAT,
      runId,
      config,
      checkpoint: { key: keys.checkpoint },
      streamKey: keys.stream,
      controlKey: keys.control,
      attemptKey: keys.attempt,
      ...(checkpointIntervalMs !== undefined ? { checkpointIntervalMs } : {}),
    };
    this.track(runId, false);
    await this.queue.add('train', payload, {
      jobId: runId,
      attempts: this.attempts,
      backoff: { type: 'fixed', delay: 1000 },
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
    });
  }

  /**
   * Takes up a run this host queued before it restarted: its pending entries are read again, then
   * new ones. A job BullMQ has already failed fails the run; a job that is gone (and left no
   * stream) is reported so the manager can mark the run interrupted.
   */
  async reattach(runId: string): Promise<'attached' | 'gone'> {
    const keys = runKeys(runId);
    const [job, streamLength] = await Promise.all([this.queue.getJob(runId), this.commands.exists(keys.stream)]);
    if (!job && streamLength === 0) return 'gone';
    await this.ensureGroup(keys.stream);
    const run = this.track(runId, true);
    const state = job ? await job.getState() : 'unknown';
    if (state === 'failed') run.jobFailure = this.failureText(job?.failedReason);
    return 'attached';
  }

  /** Stop: a job still waiting is taken off the queue; one being trained is told through its control key. */
  async stop(runId: string): Promise<StopOutcome> {
    const job = await this.queue.getJob(runId);
    const state = job ? await job.getState() : 'unknown';
    if (job && (state === 'waiting' || state === 'delayed' || state === 'prioritized')) {
      try {
        await job.remove();
        this.forget(runId);
        return 'removed-from-queue';
      } catch {
        // taken by a worker meanwhile: tell it
      }
    }
    await this.control(runId, 'stop');
    return 'signalled';
  }

  async control(runId: string, command: ControlCommand): Promise<void> {
    const keys = runKeys(runId);
    await this.commands.set(keys.control, command, 'EX', 7 * 24 * 3600);
    await this.commands.publish(CONTROL_CHANNEL, runId);
  }

  /** The run is over on the host: its Redis keys go (the run folder holds everything). */
  async forgetFinished(runId: string): Promise<void> {
    this.forget(runId);
    const keys = runKeys(runId);
    await this.commands.del(keys.stream, keys.control, keys.attempt, keys.checkpoint).catch(() => undefined);
  }

  /**
   * The run was deleted on the host: whatever Redis still holds of it goes too (keys a finish left
   * while Redis was away, and the job BullMQ keeps of a failed run, config included).
   */
  async forgetDeleted(runId: string): Promise<void> {
    await this.forgetFinished(runId);
    const job = await this.queue?.getJob(runId);
    const state = job ? await job.getState() : 'unknown';
    if (job && (state === 'failed' || state === 'completed')) await job.remove();
  }

  /** Stops reading and closes the connections; runs on workers go on and are re-attached next time. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wake?.();
    this.reader?.disconnect();
    await this.loop?.catch(() => undefined);
    await Promise.allSettled([this.queueEvents?.close(), this.queue?.close()]);
    this.eventsConnection?.disconnect();
    this.commands?.disconnect();
  }

  private track(runId: string, replayPending: boolean): RemoteRunState {
    const run: RemoteRunState = { runId, attempt: 0, seq: 0, replayPending, finished: false };
    this.runs.set(runId, run);
    this.wake?.();
    return run;
  }

  private forget(runId: string): void {
    const run = this.runs.get(runId);
    if (run) run.finished = true;
    this.runs.delete(runId);
  }

  private async ensureGroup(stream: string): Promise<void> {
    try {
      await this.commands.xgroup('CREATE', stream, HOST_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test(String(error))) throw error;
    }
  }

  private noteProblem(error: unknown): void {
    const text = describeRedisError(error, this.queueUrl);
    if (text !== this.problem) this.sink?.warn(`The run queue: ${text}`);
    this.problem = text;
  }

  private failureText(reason: string | undefined): string {
    return `The queue gave up on the run: ${reason || 'no reason given'}.`;
  }

  private async onJobFailed(jobId: string, failedReason: string): Promise<void> {
    const run = this.runs.get(jobId);
    if (!run) {
      this.sink.warn(`A job of the run queue failed (${jobId}): ${failedReason}`);
      return;
    }
    const job = await this.queue.getJob(jobId).catch(() => undefined);
    const state = job ? await job.getState().catch(() => 'unknown') : 'unknown';
    // A failed attempt that BullMQ retries is not the end of the run.
    if (state !== 'failed' && state !== 'unknown') return;
    run.jobFailure = this.failureText(failedReason);
    this.wake?.();
  }

  /** Reads every tracked run's stream through the group until closed; reconnects ride through. */
  private async readLoop(): Promise<void> {
    while (!this.closing) {
      const runs = [...this.runs.values()];
      if (runs.length === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, this.blockMs).unref();
        });
        this.wake = null;
        continue;
      }
      let reply: [string, [string, string[]][]][] | null;
      try {
        const replaying = runs.some((run) => run.replayPending);
        const args: (string | number)[] = ['GROUP', HOST_GROUP, HOST_CONSUMER, 'COUNT', 200];
        if (!replaying) args.push('BLOCK', this.blockMs);
        args.push('STREAMS', ...runs.map((run) => runKeys(run.runId).stream));
        args.push(...runs.map((run) => (run.replayPending ? '0' : '>')));
        this.readInterrupted = false;
        reply = (await this.reader.call('XREADGROUP', ...args)) as typeof reply;
        if (this.readInterrupted) {
          for (const run of this.runs.values()) run.replayPending = true;
          continue;
        }
      } catch (error) {
        if (this.closing) return;
        for (const run of this.runs.values()) run.replayPending = true;
        if (/NOGROUP/.test(String(error))) {
          for (const run of runs) await this.ensureGroup(runKeys(run.runId).stream).catch(() => undefined);
        } else {
          this.noteProblem(error);
          await delay(500);
        }
        continue;
      }
      const answered = new Set<string>();
      for (const [stream, entries] of reply ?? []) {
        const run = runs.find((candidate) => runKeys(candidate.runId).stream === stream);
        if (!run) continue;
        if (run.replayPending && entries.length === 0) run.replayPending = false;
        if (entries.length > 0) answered.add(run.runId);
        await this.applyEntries(run, stream, entries);
      }
      for (const run of runs) {
        if (run.replayPending && !answered.has(run.runId)) run.replayPending = false;
        if (run.jobFailure && !answered.has(run.runId) && !run.finished && this.runs.get(run.runId) === run) {
          this.forget(run.runId);
          this.sink.fail(run.runId, run.jobFailure);
        }
      }
    }
  }

  /** Validates and applies one stream's entries in order, writes them, then acknowledges them. */
  private async applyEntries(run: RemoteRunState, stream: string, entries: [string, string[]][]): Promise<void> {
    const ids: string[] = [];
    let ended = false;
    for (const [id, fields] of entries) {
      ids.push(id);
      if (run.finished || ended) continue;
      const problem = await this.applyEntry(run, id, fields).catch((error: unknown) =>
        error instanceof Error ? error.message : String(error),
      );
      if (problem === 'done') ended = true;
      else if (problem) {
        ended = true;
        this.forget(run.runId);
        await this.control(run.runId, 'stop').catch(() => undefined);
        this.sink.fail(run.runId, `Run "${run.runId}" failed: ${problem}`);
      }
    }
    try {
      await this.sink.persisted(run.runId);
    } catch {
      return; // not written: left pending, read again after a restart
    }
    if (ids.length > 0) await this.commands.xack(stream, HOST_GROUP, ...ids);
    if (ended && !run.finished) this.forget(run.runId);
  }

  /** Null when applied or skipped as a duplicate, 'done' at the run's end, else what is wrong with the entry. */
  private async applyEntry(run: RemoteRunState, id: string, fields: string[]): Promise<string | null> {
    const record: Record<string, string> = {};
    for (let index = 0; index + 1 < fields.length; index += 2) record[fields[index]] = fields[index + 1];
    const envelope = remoteEntryEnvelopeSchema.safeParse(record);
    if (!envelope.success)
      return `the queue worker sent a malformed stream entry ${id} (${issueText(envelope.error)}).`;
    const { attempt, seq } = envelope.data;
    if (attempt < run.attempt) return null; // a worker declared dead that still talks
    if (attempt === run.attempt && seq <= run.seq) return null; // already applied
    let json: unknown;
    try {
      json = JSON.parse(envelope.data.body);
    } catch {
      return `the queue worker sent stream entry ${id} whose body is not JSON.`;
    }
    const parsed = remoteEntryBodySchema.safeParse(json);
    if (!parsed.success) return `the queue worker sent a malformed stream entry ${id} (${issueText(parsed.error)}).`;
    const body = parsed.data;
    if (attempt === run.attempt && seq !== run.seq + 1 && run.seq > 0)
      this.sink.warn(
        `Run "${run.runId}": entries ${run.seq + 1}…${seq - 1} of attempt ${attempt} are missing from its stream.`,
      );
    run.attempt = attempt;
    run.seq = seq;
    const entryTime = Number(id.split('-')[0]);
    switch (body.kind) {
      case 'attempt':
        this.sink.attemptStarted(run.runId, attempt, body.worker, body.fromStep, entryTime);
        return null;
      case 'event':
        if (body.event.runId !== run.runId)
          return `the queue worker sent an event of run "${body.event.runId}" on this run's stream.`;
        if (!this.sink.alreadyStored(run.runId, body.event)) this.sink.event(run.runId, body.event);
        return null;
      case 'checkpoint': {
        await this.sink.checkpoint(run.runId, decodeCheckpoint(body.checkpoint));
        // The copy a later worker resumes from: only what the host has stored.
        await this.commands.set(runKeys(run.runId).checkpoint, JSON.stringify(body.checkpoint));
        return null;
      }
      case 'done':
        this.sink.done(run.runId, body);
        return 'done';
    }
  }
}

/**
 * The queue-backed execution target for a Redis URL (`redis://[user:password@]host:port`, or
 * `rediss://` for TLS): the URL is checked at once (a QueueConnectionError says what is wrong);
 * the connection is made when a run manager opens it (`openHostServices({ queueUrl })` does both).
 */
export function queueTargetFor(url: string, options: Omit<QueueTargetOptions, 'url'> = {}): QueueTarget {
  return new QueueTarget({ url, ...options });
}

export function decodeCheckpoint(checkpoint: RemoteCheckpoint): SerializedCheckpoint {
  const bytes = Buffer.from(checkpoint.values, 'base64');
  return { manifest: checkpoint.manifest, values: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

export function encodeCheckpoint(checkpoint: SerializedCheckpoint): RemoteCheckpoint {
  const values = checkpoint.values;
  return {
    manifest: checkpoint.manifest,
    values: Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64'),
  };
}

function issueText(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.map(String).join('.') || 'entry'}: ${issue.message}` : 'unknown problem';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

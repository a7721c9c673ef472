/**
 * A queue worker (`npm run worker -- --queue redis://…`): a BullMQ Worker that takes one run at a
 * time from the workbench's queue and trains it in the same training worker thread the desktop
 * uses (electron/worker, best backend), appending everything the thread reports to the run's Redis
 * stream: an `attempt` entry first (this worker's name, the step it starts from), then every event
 * and checkpoint, then `done`. Each entry is stamped (attempt, seq) so the host applies each once.
 *
 * The job is validated before anything runs (a malformed one fails at once, never retried); a
 * resumed attempt starts from the checkpoint the host stored last. Stop / pause / resume arrive on
 * the control channel. While Redis is down ioredis keeps the entries it could not send; once they
 * pass `maxBacklogBytes` the run's training is paused (its status says why) until Redis has them.
 * Closing (SIGTERM) lets the run in hand finish first, then exits.
 */
import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  remoteCheckpointSchema,
  remoteJobSchema,
  type RemoteEntryBody,
  type RemoteJob,
} from '../../core/contract/remoteRun';
import type { BackendInfo } from '../../core/contract/runEvent';
import { TrainingWorker, defaultTrainingWorkerUrl, type TrainingWorkerListeners } from '../host/trainingWorker';
import { CONTROL_CHANNEL, DEFAULT_QUEUE_NAME, type ControlCommand } from '../host/remote/queueKeys';
import { decodeCheckpoint, encodeCheckpoint } from '../host/remote/queueTarget';
import {
  createRedis,
  describeRedisError,
  parseQueueUrl,
  probeRedis,
  type QueueUrl,
} from '../host/remote/redisConnection';
import { MAX_REMOTE_CHECKPOINT_BASE64 } from '../../core/contract/remoteRun';
import type { WorkerToHostMessage } from '../worker/messages';
import type { SerializedCheckpoint } from '../../core/training/checkpoint';

export interface QueueWorkerOptions {
  url: string;
  /** Shown on the runs this worker trains (default: host name and process id). */
  name?: string;
  queueName?: string;
  /** BullMQ's lock on a job being trained; a worker silent for this long is taken for dead. */
  lockDurationMs?: number;
  /** How often this worker looks for jobs whose worker died. */
  stalledIntervalMs?: number;
  /** Times a run may lose its worker before it is failed. */
  maxStalledCount?: number;
  /** Runs trained at once, each in its own training thread (1 by default; more only on the wasm and cpu backends). */
  concurrency?: number;
  /**
   * Bytes of a run's stream entries Redis may leave unacknowledged (it is down or stalled) before
   * the run's training is paused until it has taken them (default 64 MiB): the worker's memory
   * stays bounded and nothing is dropped.
   */
  maxBacklogBytes?: number;
  workerUrl?: URL;
  /** One line per notable thing (job taken, job done with counts); stdout by default. */
  log?(line: Record<string, unknown>): void;
}

export interface RunningQueueWorker {
  readonly name: string;
  /** Lets the current run finish, then closes every connection and the training thread. */
  close(): Promise<void>;
}

/** The default of `maxBacklogBytes`: about a hundred LeNet5 checkpoints, or hours of events. */
export const DEFAULT_MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

interface CurrentRun {
  runId: string;
  /** A stop / pause / resume from the control channel. */
  control(command: ControlCommand): void;
}

/**
 * A training thread kept between jobs (as the desktop's worker pool keeps its threads): loading
 * the backend is most of a short run's start. `listeners` is the job it trains now; a thread that
 * ended is dropped and the next job starts a new one.
 */
interface ThreadSlot {
  training: TrainingWorker;
  listeners: TrainingWorkerListeners | null;
  exited: boolean;
}

class ThreadSlots {
  private readonly idle: ThreadSlot[] = [];

  constructor(private readonly workerUrl: URL) {}

  take(listeners: TrainingWorkerListeners): ThreadSlot {
    let slot = this.idle.pop();
    while (slot?.exited) slot = this.idle.pop();
    if (!slot) {
      const state: Omit<ThreadSlot, 'training'> = { listeners: null, exited: false };
      const training = new TrainingWorker(this.workerUrl, {
        message: (message) => state.listeners?.message(message),
        exit: (reason) => {
          state.exited = true;
          state.listeners?.exit(reason);
        },
      });
      slot = Object.assign(state, { training });
    }
    slot.listeners = listeners;
    return slot;
  }

  give(slot: ThreadSlot): void {
    slot.listeners = null;
    if (!slot.exited) this.idle.push(slot);
  }

  async close(): Promise<void> {
    const slots = this.idle.splice(0);
    await Promise.all(slots.map((slot) => slot.training.terminate()));
  }
}

export async function startQueueWorker(options: QueueWorkerOptions): Promise<RunningQueueWorker> {
  const queueUrl = parseQueueUrl(options.url);
  await probeRedis(queueUrl); // a wrong password or a dead server is said once, clearly, before anything starts
  const name = options.name ?? `${os.hostname()}-${process.pid}`;
  const log = options.log ?? ((line) => process.stdout.write(`${JSON.stringify(line)}\n`));
  const commands = createRedis(queueUrl);
  const subscriber = createRedis(queueUrl);
  let lastProblem = '';
  for (const connection of [commands, subscriber]) {
    connection.on('error', (error) => {
      const text = describeRedisError(error, queueUrl);
      if (text !== lastProblem) log({ worker: name, problem: text });
      lastProblem = text;
    });
  }
  const current = new Map<string, CurrentRun>();
  await subscriber.subscribe(CONTROL_CHANNEL);
  subscriber.on('message', (_channel: string, runId: string) => {
    const run = current.get(runId);
    if (!run) return;
    void readControl(commands, runId).then((command) => {
      if (command && current.get(runId) === run) run.control(command);
    });
  });

  const jobsConnection = createRedis(queueUrl);
  jobsConnection.on('error', (error) => {
    const text = describeRedisError(error, queueUrl);
    if (text !== lastProblem) log({ worker: name, problem: text });
    lastProblem = text;
  });
  const threads = new ThreadSlots(options.workerUrl ?? defaultTrainingWorkerUrl());
  const worker = new Worker(
    options.queueName ?? DEFAULT_QUEUE_NAME,
    async (job: Job) => {
      const parsed = remoteJobSchema.safeParse(job.data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const reason = `Job "${job.id}" is malformed and was not run: ${issue?.path.map(String).join('.') || 'payload'}: ${issue?.message ?? 'unknown problem'}.`;
        log({ worker: name, jobId: job.id, malformed: reason });
        throw new UnrecoverableError(reason);
      }
      return trainJob(parsed.data, {
        name,
        commands,
        queueUrl,
        threads,
        log,
        maxBacklogBytes: options.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES,
        setCurrent: (runId, run) => {
          if (run) current.set(runId, run);
          else current.delete(runId);
        },
      });
    },
    {
      connection: jobsConnection,
      concurrency: options.concurrency ?? 1,
      ...(options.lockDurationMs !== undefined ? { lockDuration: options.lockDurationMs } : {}),
      ...(options.stalledIntervalMs !== undefined ? { stalledInterval: options.stalledIntervalMs } : {}),
      maxStalledCount: options.maxStalledCount ?? 2,
      autorun: true,
    },
  );
  worker.on('error', (error) => log({ worker: name, problem: describeRedisError(error, queueUrl) }));
  await worker.waitUntilReady();
  log({ worker: name, ready: true, queue: queueUrl.display });
  return {
    name,
    async close() {
      await worker.close();
      await threads.close();
      // BullMQ leaves a connection it was given open (it counts it as shared): closed here, or the
      // process would never exit after SIGTERM.
      jobsConnection.disconnect();
      subscriber.disconnect();
      commands.disconnect();
    },
  };
}

async function readControl(commands: Redis, runId: string): Promise<ControlCommand | null> {
  const value = await commands.get(`bw:run:${runId}:control`).catch(() => null);
  return value === 'stop' || value === 'pause' || value === 'resume' ? value : null;
}

interface TrainContext {
  name: string;
  commands: Redis;
  queueUrl: QueueUrl;
  threads: ThreadSlots;
  log(line: Record<string, unknown>): void;
  maxBacklogBytes: number;
  setCurrent(runId: string, run: CurrentRun | null): void;
}

/** Trains one validated job to its end, streaming every report; resolves with the run's final state. */
async function trainJob(job: RemoteJob, context: TrainContext): Promise<{ state: string; step: number }> {
  const { commands, name, log } = context;
  const attempt = await commands.incr(job.attemptKey);
  let seq = 0;
  let pending: Promise<unknown> = Promise.resolve();
  const sentEvents: string[] = [];
  // Entries Redis has not acknowledged yet. While it is down, ioredis holds them in memory (and
  // resends them in order when it is back); past maxBacklogBytes the training is paused until
  // they are taken, so a long outage costs time, not memory, and loses nothing.
  const backlog = { entries: 0, bytes: 0, peakBytes: 0, heldSince: 0 };
  let training: TrainingWorker | undefined;
  let userPaused = false;
  const holdOrRelease = () => {
    if (!training) return;
    if (backlog.heldSince === 0 && backlog.bytes > context.maxBacklogBytes) {
      backlog.heldSince = Date.now();
      const size =
        backlog.bytes < 2 ** 20
          ? `${Math.ceil(backlog.bytes / 1024)} KB`
          : `${(backlog.bytes / 2 ** 20).toFixed(1)} MB`;
      const reason = `Redis has not acknowledged the last ${backlog.entries} entries of this run (${size}); training waits until it has them, so nothing is lost.`;
      log({ worker: name, runId: job.runId, backlog: { entries: backlog.entries, bytes: backlog.bytes }, held: true });
      training.send({ type: 'pause', runId: job.runId, reason });
    } else if (backlog.heldSince !== 0 && backlog.bytes <= context.maxBacklogBytes / 4) {
      log({
        worker: name,
        runId: job.runId,
        released: true,
        heldMs: Date.now() - backlog.heldSince,
        peakBytes: backlog.peakBytes,
      });
      backlog.heldSince = 0;
      if (!userPaused) training.send({ type: 'resume', runId: job.runId });
    }
  };
  // One connection sends the XADDs in order; through a Redis restart ioredis queues and resends them.
  const append = (body: RemoteEntryBody) => {
    seq += 1;
    const text = JSON.stringify(body);
    const bytes = Buffer.byteLength(text);
    backlog.entries += 1;
    backlog.bytes += bytes;
    backlog.peakBytes = Math.max(backlog.peakBytes, backlog.bytes);
    const sent = commands.xadd(job.streamKey, '*', 'attempt', String(attempt), 'seq', String(seq), 'body', text);
    const acknowledged = () => {
      backlog.entries -= 1;
      backlog.bytes -= bytes;
      holdOrRelease();
    };
    void sent.then(acknowledged, acknowledged);
    pending = sent;
    holdOrRelease();
  };
  const control = (command: ControlCommand): void => {
    if (command === 'pause') userPaused = true;
    if (command === 'resume') {
      userPaused = false;
      // Held for the backlog: the run goes on when Redis has taken it.
      if (backlog.heldSince !== 0) return;
    }
    training?.send({ type: command, runId: job.runId });
  };

  const stored = await commands.get(job.checkpoint.key);
  let checkpoint: SerializedCheckpoint | undefined;
  if (stored !== null) {
    let json: unknown;
    try {
      json = JSON.parse(stored);
    } catch {
      json = null;
    }
    const parsed = remoteCheckpointSchema.safeParse(json);
    if (!parsed.success)
      throw new UnrecoverableError(
        `Run "${job.runId}": the checkpoint stored for it in Redis is not valid; the run cannot continue.`,
      );
    checkpoint = decodeCheckpoint(parsed.data);
  }
  const fromStep = checkpoint?.manifest.step ?? 0;
  append({ kind: 'attempt', worker: name, fromStep });
  log({ worker: name, runId: job.runId, attempt, fromStep, started: true });

  if ((await readControl(commands, job.runId)) === 'stop') {
    append({ kind: 'done', state: 'stopped', step: fromStep, message: 'Stopped before it started training.' });
    await pending;
    return { state: 'stopped', step: fromStep };
  }

  let backend: BackendInfo | undefined;
  let ended = false;
  let slot: ThreadSlot | undefined;
  const result = await new Promise<{ state: 'completed' | 'stopped' | 'failed'; step: number }>((resolve) => {
    slot = context.threads.take({
      message(message: WorkerToHostMessage) {
        if (message.type === 'event') {
          if (message.event.type === 'status' && message.event.backend) backend = message.event.backend;
          sentEvents.push(`${message.event.type}:${message.event.step}`);
          append({ kind: 'event', event: message.event });
        } else if (message.type === 'checkpoint') {
          const encoded = encodeCheckpoint(message.checkpoint);
          if (encoded.values.length > MAX_REMOTE_CHECKPOINT_BASE64)
            log({
              worker: name,
              runId: job.runId,
              problem: `checkpoint at step ${encoded.manifest.step} is over the size cap; not sent`,
            });
          else append({ kind: 'checkpoint', checkpoint: encoded });
        } else if (message.type === 'done') {
          append({
            kind: 'done',
            state: message.state,
            step: message.step,
            ...(message.summary ? { summary: message.summary } : {}),
            ...(message.message ? { message: message.message } : {}),
            ...(backend ? { backend } : {}),
          });
          ended = true;
          resolve({ state: message.state, step: message.step });
        } else if (message.type === 'error') {
          log({ worker: name, runId: job.runId, problem: message.message });
        }
      },
      exit(reason) {
        // Before `done`, the thread's end fails the run with the reason.
        if (ended) return;
        ended = true;
        append({ kind: 'done', state: 'failed', step: fromStep, message: reason });
        resolve({ state: 'failed', step: fromStep });
      },
    });
    training = slot.training;
    context.setCurrent(job.runId, { runId: job.runId, control });
    training.send({
      type: 'start',
      runId: job.runId,
      config: job.config,
      ...(checkpoint ? { checkpoint } : {}),
      ...(job.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: job.checkpointIntervalMs } : {}),
    });
    // A pause or stop sent before the thread existed.
    void readControl(commands, job.runId).then((command) => {
      if (command === 'pause') control('pause');
    });
  });
  context.setCurrent(job.runId, null);
  training = undefined;
  if (slot) context.threads.give(slot);
  await pending;
  log({
    worker: name,
    runId: job.runId,
    attempt,
    state: result.state,
    entries: seq,
    events: sentEvents.length,
    peakBacklogBytes: backlog.peakBytes,
    sent: sentEvents,
  });
  return result;
}

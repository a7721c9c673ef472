/**
 * The training worker's classification service. The worker owns the tfjs backend (a second thread
 * loading tfjs-node fails), so classifying dropped images and evaluating OOD sets happen here, on
 * networks rebuilt from checkpoints — never on the live training variables.
 *
 * A request is cut into forward passes (one chunk of images under one posterior draw). With no run
 * training (or the run paused) they run back to back, yielding to the event loop between passes so
 * a `start` is heard at once. While a run trains they run only at its yield points, for at most a
 * third of the time trained since the last one, so an evaluation slows training by ≤ ~25 % while it
 * lasts and a classification of a few images costs a step or two. Interactive requests go first.
 *
 * A request names the network by `{runId, step, checksum}` of the run's checkpoint; no checkpoint
 * payload crosses the port for inference. The worker keeps the latest network of each run it has
 * trained or loaded (a few runs, least recently used out): a run's newer checkpoint replaces its
 * network once no queued request needs the old one. On a miss it rebuilds the network from the
 * checkpoint this worker itself took while training the run, or else reads the run's checkpoint
 * files (verified whole) from the run folder.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Lenet5Config } from '../../core/contract/runConfig';
import { CLASS_COUNT, PIXELS_PER_IMAGE } from '../../core/data/dataset';
import type { DrawNetwork, MonteCarloProbabilities } from '../../core/evaluation/monteCarlo';
import {
  sharedMonteCarloSteps,
  type DrawHelpers,
  type SharedMonteCarloTimings,
} from '../../core/evaluation/sharedMonteCarlo';
import type { ExperimentEnvironment } from '../../core/experiments/trainer';
import { classifiesImages } from '../../core/experiments/registry';
import { LENET5_INPUT_SHAPE } from '../../core/experiments/lenet5/network';
import type { VariationalSequential } from '../../core/models/variationalSequential';
import { lenet5FromCheckpoint } from '../../core/ood/checkpointNetwork';
import { shiftImages } from '../../core/shift/shiftSets';
import { deserializeCheckpoint, type NamedValues } from '../../core/training/checkpoint';
import { readCheckpointFiles } from '../host/checkpointFiles';
import { EvaluationPool, type EvaluationNetwork, type EvaluationSet } from './evaluationPool';
import type { OodReplyMessage, OodRequestMessage } from './messages';
import { endPoisonedWorker, isWasmAbort, wasmAbortReason } from './wasmAbort';

export class OodServerError extends Error {
  override name = 'OodServerError';
}

/** Images per forward pass of an interactive request (a few dropped images). */
const CHUNK_SIZE = 128;
/**
 * Images per forward pass of a batch request (an evaluation): a whole 1,000-image set, so each
 * posterior draw's weights are sampled once per set rather than once per 128 images; one such pass
 * (≈ 65 ms on wasm) is still a short pause for an interactive request waiting behind it.
 */
const BATCH_CHUNK_SIZE = 1000;
/** Backends whose every instance is one thread, so helper threads add cores (tensorflow and webgpu use every core already). */
const SHARED_DRAW_BACKENDS = new Set(['wasm', 'cpu']);
/** Share of the time trained since the last yield point that requests may take. */
const TRAINING_SHARE = 1 / 3;
/** Runs whose latest network (and trained checkpoint variables) the worker keeps: a LeNet5 is ≈ 0.5 MB. */
export const NETWORKS_KEPT = 4;

type ReplySet = NonNullable<OodReplyMessage['sets']>[number];

interface Job {
  message: OodRequestMessage;
  queuedAt: number;
  timings?: NonNullable<OodReplyMessage['timings']>;
  /** The network's cache key once prepared. */
  networkKey?: string;
  /** The step of the checkpoint that classified (the one on disk, if it moved on since the host asked). */
  checkpointStep?: number;
  steps?: AsyncGenerator<void, ReplySet[], void>;
}

interface CachedNetwork {
  runId: string;
  step: number;
  network: VariationalSequential | (DrawNetwork & { dispose(): void });
  /** What helper threads rebuild the same network from. */
  source: EvaluationNetwork;
}

/** The posterior variables of a checkpoint the worker took itself (no optimizer moments). */
interface TrainedCheckpoint {
  step: number;
  checksum: string;
  variables: NamedValues[];
}

export interface OodServerOptions {
  post(reply: OodReplyMessage, transfer: ArrayBuffer[]): void;
  environment: ExperimentEnvironment;
  /** True while a run trains and is not paused: requests then wait for its yield points. */
  isTraining(): boolean;
  /** Makes a backend active if none is (serialised with the runs' own backend selection). */
  ensureBackend(): Promise<string>;
  /** Starts helper threads for batch requests with `workers` > 1 (tests inject their own). */
  startEvaluationPool?(helpers: number, backend: string): Promise<EvaluationPool>;
}

export class OodServer {
  private readonly queue: Job[] = [];
  /** By `runId/step/checksum/backend`; Map order is least recently used first. */
  private readonly networks = new Map<string, CachedNetwork>();
  /** The latest checkpoint of each run this worker trained, by run id; least recently used first. */
  private readonly trainedCheckpoints = new Map<string, TrainedCheckpoint>();
  /** Checkpoint files read from run folders (tests count the misses). */
  checkpointReads = 0;
  private pumping: Promise<void> | null = null;
  /** Helper threads being started, and those ready (until replaced or idle for a minute). */
  private startingPool: Promise<EvaluationPool> | null = null;
  private readyPool: EvaluationPool | null = null;

  constructor(private readonly options: OodServerOptions) {}

  /**
   * The training run took a checkpoint: its variables serve classification of that step without
   * reading it back from disk (a copy — the checkpoint's buffer goes to the host).
   */
  rememberTrainedCheckpoint(runId: string, step: number, checksum: string, variables: NamedValues[]): void {
    this.trainedCheckpoints.delete(runId);
    this.trainedCheckpoints.set(runId, {
      step,
      checksum,
      variables: variables.map((entry) => ({ ...entry, values: entry.values.slice() })),
    });
    for (const oldest of this.trainedCheckpoints.keys()) {
      if (this.trainedCheckpoints.size <= NETWORKS_KEPT) break;
      this.trainedCheckpoints.delete(oldest);
    }
  }

  /** Queues a request; starts serving at once unless a run is training. */
  accept(message: OodRequestMessage): void {
    this.queue.push({ message, queuedAt: performance.now() });
    if (!this.options.isTraining()) void this.pump();
  }

  /** Called at a training yield point: serve queued work for a share of `trainedMs`. */
  async serveBetweenSteps(trainedMs: number): Promise<void> {
    if (this.queue.length === 0) return;
    const deadline = performance.now() + trainedMs * TRAINING_SHARE;
    do {
      await this.step();
    } while (this.queue.length > 0 && performance.now() < deadline);
  }

  /** Serves everything queued while no run trains; resolves when the queue is empty or a run trains. */
  pump(): Promise<void> {
    this.pumping ??= this.drain().finally(() => {
      this.pumping = null;
    });
    return this.pumping;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.options.isTraining()) {
      await this.step();
      // setImmediate runs after pending messages: a `start` or another request is heard between passes.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Frees every cached network and ends the helper threads (tests; the worker's end frees them anyway). */
  async dispose(): Promise<void> {
    for (const cached of this.networks.values()) cached.network.dispose();
    this.networks.clear();
    const starting = this.startingPool;
    const ready = this.readyPool;
    this.startingPool = null;
    this.readyPool = null;
    await ready?.close();
    await starting?.then((started) => started.close()).catch(() => undefined);
  }

  /** The helper threads of batch requests once started (tests look at their tensor counts). */
  get helperPool(): EvaluationPool | null {
    return this.readyPool;
  }

  get cachedNetworks(): number {
    return this.networks.size;
  }

  /** One forward pass of the most urgent request (preparing it first if needed). */
  private async step(): Promise<void> {
    const job = this.queue.find((candidate) => candidate.message.priority === 'interactive') ?? this.queue[0];
    if (!job) return;
    try {
      if (!job.steps) await this.prepare(job);
      const next = await job.steps!.next();
      if (next.done) {
        this.finish(job, {
          type: 'oodReply',
          requestId: job.message.requestId,
          ok: true,
          backend: tf.getBackend(),
          checkpointStep: job.checkpointStep,
          sets: next.value,
          timings: job.timings,
        });
      }
    } catch (error) {
      await job.steps?.return([]).catch(() => undefined);
      if (isWasmAbort(error)) {
        // The wasm heap is no longer trustworthy: the pending request is lost with the thread (the host says so).
        endPoisonedWorker(`A classification for run "${job.message.runId}" failed: ${wasmAbortReason(error)}`);
        return;
      }
      this.finish(job, {
        type: 'oodReply',
        requestId: job.message.requestId,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private finish(job: Job, reply: OodReplyMessage): void {
    this.queue.splice(this.queue.indexOf(job), 1);
    // The probabilities are handed over, not copied (a 50-draw evaluation is a few MB).
    this.options.post(reply, reply.sets?.map((set) => set.probabilities.buffer as ArrayBuffer) ?? []);
    this.releaseUnusedNetworks();
  }

  private async prepare(job: Job): Promise<void> {
    const { message } = job;
    if (!classifiesImages(message.config)) {
      throw new OodServerError(
        `Run "${message.runId}" is a ${message.config.experiment} run; only LeNet5 runs classify images.`,
      );
    }
    const config: Lenet5Config = message.config;
    const timings: NonNullable<Job['timings']> = {
      queuedMs: performance.now() - job.queuedAt,
      networkMs: 0,
      setsMs: 0,
      helpersStartMs: 0,
      localMs: 0,
      waitMs: 0,
      localDraws: 0,
      helperDraws: 0,
      retriedDraws: 0,
      helpers: 0,
    };
    job.timings = timings;
    let began = performance.now();
    const backend = await this.options.ensureBackend();
    const wanted = message.network;
    let key = `${message.runId}/${wanted.step}/${wanted.checksum}/${backend}`;
    let cached = this.networks.get(key);
    if (!cached) {
      const trained = this.trainedCheckpoints.get(message.runId);
      let step = wanted.step;
      let variables: NamedValues[];
      if (trained && trained.step === wanted.step && trained.checksum === wanted.checksum) {
        variables = trained.variables;
      } else {
        // A run trained by an earlier worker or process: its checkpoint, read and verified here.
        this.checkpointReads += 1;
        const stored = await readCheckpointFiles(wanted.runDir);
        if (!stored)
          throw new OodServerError(
            `Run "${message.runId}" has no checkpoint in ${wanted.runDir} any more; it may have been deleted.`,
          );
        // Written again since the host looked: classify with what is there now, and say which step.
        step = stored.manifest.step;
        key = `${message.runId}/${step}/${stored.manifest.valueChecksum}/${backend}`;
        variables = deserializeCheckpoint(stored.manifest, stored.values).variables;
      }
      cached = this.networks.get(key) ?? {
        runId: message.runId,
        step,
        network: lenet5FromCheckpoint(config, variables),
        source: { key, config, variables },
      };
    }
    timings.networkMs = performance.now() - began;
    // Most recently used last.
    this.networks.delete(key);
    this.networks.set(key, cached);
    job.checkpointStep = cached.step;
    job.networkKey = key;
    began = performance.now();
    const sets = await Promise.all(
      message.sets.map(async (set) => {
        if (set.source === 'pixels') {
          if (set.images.length !== set.count * PIXELS_PER_IMAGE) {
            throw new OodServerError(
              `Image set "${set.name}" has ${set.images.length} values; ${set.count} images of 28×28 need ${set.count * PIXELS_PER_IMAGE}.`,
            );
          }
          return { name: set.name, images: set.images, count: set.count };
        }
        const dataset = await this.options.environment.loadDataset(set.dataset ?? config.dataset);
        const count = Math.min(set.limit ?? dataset.heldout.count, dataset.heldout.count);
        const heldout = dataset.heldout.images.subarray(0, count * PIXELS_PER_IMAGE);
        return {
          name: set.name,
          images: set.shift ? shiftImages(heldout, count, dataset.imageSize, set.shift) : heldout,
          count,
          labels: new Uint8Array(dataset.heldout.labels.subarray(0, count)),
        };
      }),
    );
    timings.setsMs = performance.now() - began;
    began = performance.now();
    const pool = await this.helpersFor(message, backend);
    timings.helpersStartMs = performance.now() - began;
    timings.helpers = pool?.size ?? 0;
    const network = cached;
    const mayShare = () => !this.options.isTraining();
    job.steps = runSets(
      network.network,
      sets,
      message,
      timings,
      pool ? (set) => pool.helpersFor(network.source, set, mayShare) : null,
    );
  }

  /**
   * The helper threads a batch request may share its draws with: `workers` − 1 of them, on a
   * backend whose instances use one core each, when no run trains. Started in the background on
   * first use — a request never waits for threads to start (that takes seconds, and interactive
   * requests queue behind the step that would wait): until they are ready, requests evaluate on
   * this thread alone. Kept while evaluations come (EvaluationPool ends them after a minute idle);
   * a pool with a dead helper or of another size is replaced.
   */
  private async helpersFor(message: OodRequestMessage, backend: string): Promise<EvaluationPool | null> {
    const helpers = (message.workers ?? 1) - 1;
    if (message.priority !== 'batch' || helpers < 1 || !SHARED_DRAW_BACKENDS.has(backend)) return null;
    if (this.options.isTraining()) return null;
    const current = this.readyPool;
    if (current && !current.broken && current.size === helpers && current.backend === backend) return current;
    if (this.startingPool) return null;
    if (current) {
      this.readyPool = null;
      await current.close();
    }
    const start = this.options.startEvaluationPool ?? ((count, name) => EvaluationPool.start(count, name));
    const starting = start(helpers, backend);
    this.startingPool = starting;
    starting.then(
      (pool) => {
        this.startingPool = null;
        this.readyPool = pool;
        pool.onIdle = () => {
          if (this.readyPool === pool) this.readyPool = null;
          void pool.close();
        };
      },
      // No helpers (a thread could not start): requests evaluate on this thread, as with workers = 1.
      () => {
        this.startingPool = null;
      },
    );
    return null;
  }

  /**
   * Keeps the most recently used network of each run (a run's newer checkpoint is used after its
   * older one), for at most NETWORKS_KEPT runs; disposes the rest unless a queued request needs it.
   */
  private releaseUnusedNetworks(): void {
    const needed = new Set(this.queue.map((job) => job.networkKey));
    // Map order is least recently used first, so the last key seen per run is its latest.
    const latestOfRun = new Map<string, string>();
    for (const [key, cached] of this.networks) {
      latestOfRun.delete(cached.runId);
      latestOfRun.set(cached.runId, key);
    }
    const kept = new Set([...latestOfRun.values()].slice(-NETWORKS_KEPT));
    for (const [key, cached] of this.networks) {
      if (kept.has(key) || needed.has(key)) continue;
      cached.network.dispose();
      this.networks.delete(key);
    }
  }
}

async function* runSets(
  network: VariationalSequential | DrawNetwork,
  sets: { name: string; images: Float32Array; count: number; labels?: Uint8Array<ArrayBuffer> }[],
  message: OodRequestMessage,
  timings: SharedMonteCarloTimings,
  helpersOf: ((set: EvaluationSet) => DrawHelpers) | null,
): AsyncGenerator<void, ReplySet[], void> {
  const replies: ReplySet[] = [];
  const chunkSize = message.priority === 'batch' ? BATCH_CHUNK_SIZE : CHUNK_SIZE;
  for (const set of sets) {
    // Helpers read the pixels from shared memory: copied there once per set, never per draw.
    const images = helpersOf ? sharedCopy(set.images) : set.images;
    const mc: MonteCarloProbabilities = yield* sharedMonteCarloSteps(
      {
        network,
        images,
        count: set.count,
        imageShape: LENET5_INPUT_SHAPE,
        classes: CLASS_COUNT,
        draws: message.draws,
        seed: message.seed,
        chunkSize,
      },
      helpersOf?.({
        images,
        count: set.count,
        imageShape: LENET5_INPUT_SHAPE,
        classes: CLASS_COUNT,
        seed: message.seed,
        chunkSize,
      }) ?? null,
      timings,
    );
    replies.push({
      name: set.name,
      count: set.count,
      classes: mc.classes,
      probabilities: mc.values as Float32Array<ArrayBuffer>,
      ...(set.labels ? { labels: set.labels } : {}),
    });
  }
  return replies;
}

function sharedCopy(values: Float32Array): Float32Array {
  const copy = new Float32Array(new SharedArrayBuffer(values.byteLength));
  copy.set(values);
  return copy;
}

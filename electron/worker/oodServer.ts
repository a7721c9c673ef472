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
import { monteCarloSteps, type DrawNetwork, type MonteCarloProbabilities } from '../../core/evaluation/monteCarlo';
import type { ExperimentEnvironment } from '../../core/experiments/trainer';
import { classifiesImages } from '../../core/experiments/registry';
import { LENET5_INPUT_SHAPE } from '../../core/experiments/lenet5/network';
import type { VariationalSequential } from '../../core/models/variationalSequential';
import { lenet5FromCheckpoint } from '../../core/ood/checkpointNetwork';
import { shiftImages } from '../../core/shift/shiftSets';
import { deserializeCheckpoint, type NamedValues } from '../../core/training/checkpoint';
import { readCheckpointFiles } from '../host/checkpointFiles';
import type { OodReplyMessage, OodRequestMessage } from './messages';
import { endPoisonedWorker, isWasmAbort, wasmAbortReason } from './wasmAbort';

export class OodServerError extends Error {
  override name = 'OodServerError';
}

/** Images per forward pass: small enough that one pass is a short pause between training steps. */
const CHUNK_SIZE = 128;
/** Share of the time trained since the last yield point that requests may take. */
const TRAINING_SHARE = 1 / 3;
/** Runs whose latest network (and trained checkpoint variables) the worker keeps: a LeNet5 is ≈ 0.5 MB. */
export const NETWORKS_KEPT = 4;

type ReplySet = NonNullable<OodReplyMessage['sets']>[number];

interface Job {
  message: OodRequestMessage;
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
    this.queue.push({ message });
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

  /** Frees every cached network (tests; the worker's end frees them anyway). */
  dispose(): void {
    for (const cached of this.networks.values()) cached.network.dispose();
    this.networks.clear();
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
      };
    }
    // Most recently used last.
    this.networks.delete(key);
    this.networks.set(key, cached);
    job.checkpointStep = cached.step;
    job.networkKey = key;
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
    job.steps = runSets(cached.network, sets, message.draws, message.seed);
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
  draws: number,
  seed: number,
): AsyncGenerator<void, ReplySet[], void> {
  const replies: ReplySet[] = [];
  for (const set of sets) {
    const mc: MonteCarloProbabilities = yield* monteCarloSteps({
      network,
      images: set.images,
      count: set.count,
      imageShape: LENET5_INPUT_SHAPE,
      classes: CLASS_COUNT,
      draws,
      seed,
      chunkSize: CHUNK_SIZE,
    });
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

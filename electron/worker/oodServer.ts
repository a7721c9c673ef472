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
 * The network of the latest checkpoint is cached (keyed by run, step, checksum and backend) and
 * disposed when a newer one replaces it and no queued request needs it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Lenet5Config } from '../../core/contract/runConfig';
import { CLASS_COUNT, PIXELS_PER_IMAGE } from '../../core/data/dataset';
import { monteCarloSteps, type MonteCarloProbabilities } from '../../core/evaluation/monteCarlo';
import type { ExperimentEnvironment } from '../../core/experiments/experiment';
import { LENET5_INPUT_SHAPE } from '../../core/experiments/lenet5/network';
import type { VariationalSequential } from '../../core/models/variationalSequential';
import { lenet5FromCheckpoint } from '../../core/ood/checkpointNetwork';
import { deserializeCheckpoint } from '../../core/training/checkpoint';
import type { OodReplyMessage, OodRequestMessage } from './messages';

export class OodServerError extends Error {
  override name = 'OodServerError';
}

/** Images per forward pass: small enough that one pass is a short pause between training steps. */
const CHUNK_SIZE = 128;
/** Share of the time trained since the last yield point that requests may take. */
const TRAINING_SHARE = 1 / 3;

type ReplySet = NonNullable<OodReplyMessage['sets']>[number];

interface Job {
  message: OodRequestMessage;
  /** The network's cache key once prepared. */
  networkKey?: string;
  steps?: AsyncGenerator<void, ReplySet[], void>;
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
  private readonly networks = new Map<string, VariationalSequential>();
  private pumping: Promise<void> | null = null;

  constructor(private readonly options: OodServerOptions) {}

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
    for (const network of this.networks.values()) network.dispose();
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
      if (next.done) this.finish(job, { type: 'oodReply', requestId: job.message.requestId, ok: true, backend: tf.getBackend(), sets: next.value });
    } catch (error) {
      await job.steps?.return([]);
      this.finish(job, { type: 'oodReply', requestId: job.message.requestId, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private finish(job: Job, reply: OodReplyMessage): void {
    this.queue.splice(this.queue.indexOf(job), 1);
    // The probabilities are handed over, not copied (a 50-draw evaluation is a few MB).
    this.options.post(reply, reply.sets?.map((set) => set.probabilities.buffer as ArrayBuffer) ?? []);
    this.releaseUnusedNetworks(job.networkKey);
  }

  private async prepare(job: Job): Promise<void> {
    const { message } = job;
    if (message.config.experiment !== 'lenet5') {
      throw new OodServerError(`Run "${message.runId}" is a ${message.config.experiment} run; only LeNet5 runs classify images.`);
    }
    const config: Lenet5Config = message.config;
    const backend = await this.options.ensureBackend();
    const manifest = message.checkpoint.manifest;
    const key = `${message.runId}/${manifest.step}/${manifest.valueChecksum}/${backend}`;
    let network = this.networks.get(key);
    if (!network) {
      const checkpoint = deserializeCheckpoint(manifest, message.checkpoint.values);
      network = lenet5FromCheckpoint(config, checkpoint.variables);
      this.networks.set(key, network);
    }
    job.networkKey = key;
    const sets = await Promise.all(
      message.sets.map(async (set) => {
        if (set.source === 'pixels') {
          if (set.images.length !== set.count * PIXELS_PER_IMAGE) {
            throw new OodServerError(`Image set "${set.name}" has ${set.images.length} values; ${set.count} images of 28×28 need ${set.count * PIXELS_PER_IMAGE}.`);
          }
          return { name: set.name, images: set.images, count: set.count };
        }
        const dataset = await this.options.environment.loadDataset(config.dataset);
        const count = Math.min(set.limit ?? dataset.heldout.count, dataset.heldout.count);
        return {
          name: set.name,
          images: dataset.heldout.images.subarray(0, count * PIXELS_PER_IMAGE),
          count,
          labels: new Uint8Array(dataset.heldout.labels.subarray(0, count)),
        };
      }),
    );
    job.steps = runSets(network, sets, message.draws, message.seed);
  }

  /** Disposes cached networks no queued request uses, except the one just used (the likely next). */
  private releaseUnusedNetworks(keep: string | undefined): void {
    const needed = new Set(this.queue.map((job) => job.networkKey));
    for (const [key, network] of this.networks) {
      if (key !== keep && !needed.has(key)) {
        network.dispose();
        this.networks.delete(key);
      }
    }
  }
}

async function* runSets(
  network: VariationalSequential,
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
    replies.push({ name: set.name, count: set.count, classes: mc.classes, probabilities: mc.values as Float32Array<ArrayBuffer>, ...(set.labels ? { labels: set.labels } : {}) });
  }
  return replies;
}

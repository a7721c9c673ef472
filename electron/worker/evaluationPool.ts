/**
 * Helper threads of the training worker's classification service: the parallel Monte Carlo
 * evaluation of issue 16 for stored runs of every method. Each helper is a thread of the
 * data-parallel entry (gradientWorker.ts) on its own backend instance (its own core on wasm); it
 * is sent a run's checkpoint network once (by `runId/step/checksum`) and then computes whole
 * posterior draws of it over an image set that lives in shared memory, so a hand-out posts a few
 * numbers and gets back one draw's probabilities (core/evaluation/sharedMonteCarlo.ts decides who
 * computes which draw).
 *
 * Started when the first large evaluation comes, ended after a minute without one (a helper holds
 * a wasm heap). A helper that dies gives its draw back to the worker's own thread, and the pool
 * is started afresh for the next evaluation.
 */
import type { Worker } from 'node:worker_threads';
import type { Lenet5Config } from '../../core/contract/runConfig';
import type { DrawHelpers } from '../../core/evaluation/sharedMonteCarlo';
import type { NamedValues } from '../../core/training/checkpoint';
import { spawnWorker } from '../host/trainingWorker';
import { EVALUATION_NETWORKS_KEPT, type HelperReply, type HelperRequest } from './gradientMessages';
import { gradientWorkerUrl } from './gradientPool';
import { watchHelper, type HelperThread } from './helperThread';

export class EvaluationPoolError extends Error {
  override name = 'EvaluationPoolError';
}

/** How long helpers stay after their last evaluation. */
const IDLE_MS = 60_000;

interface Helper extends HelperThread {
  /** The network keys this helper holds. */
  networks: Set<string>;
  failed?: EvaluationPoolError;
}

export interface EvaluationSet {
  /** The set's pixels in shared memory (copied there once per set). */
  images: Float32Array;
  count: number;
  imageShape: number[];
  classes: number;
  seed: number;
  chunkSize: number;
}

export interface EvaluationNetwork {
  key: string;
  config: Lenet5Config;
  variables: NamedValues[];
}

export class EvaluationPool {
  private closing = false;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    private readonly helpersList: Helper[],
    readonly backend: string,
  ) {}

  /** Starts `helpers` threads on `backend` and waits until each is ready. */
  static async start(helpers: number, backend: string, entry: URL = gradientWorkerUrl()): Promise<EvaluationPool> {
    const pool = new EvaluationPool(
      Array.from({ length: helpers }, () => ({ worker: spawnWorker(entry), networks: new Set<string>(), tensors: 0 })),
      backend,
    );
    pool.helpersList.forEach((helper, index) => pool.watch(helper, index));
    try {
      await Promise.all(pool.helpersList.map((helper) => pool.request(helper, { type: 'evaluator', backend })));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.helpersList.length;
  }

  /** True once a helper has died: the owner starts a new pool. */
  get broken(): boolean {
    return this.helpersList.some((helper) => helper.failed);
  }

  get helperTensorCounts(): number[] {
    return this.helpersList.map((helper) => helper.tensors);
  }

  /** The helpers' threads, for tests that end one abruptly. */
  get threads(): readonly Worker[] {
    return this.helpersList.map((helper) => helper.worker);
  }

  /**
   * Draw hand-outs for one evaluation set of `network`. `mayRun` is asked before each evaluation
   * starts sharing: false (a run trains) keeps the helpers out of it.
   */
  helpersFor(network: EvaluationNetwork, set: EvaluationSet, mayRun: () => boolean): DrawHelpers {
    this.keepAlive();
    const ready = this.helpersList.filter((helper) => !helper.failed);
    return {
      available: () => (mayRun() ? ready.length : 0),
      computeDraw: async (index, draw) => {
        const helper = ready[index];
        if (!helper.networks.has(network.key)) {
          await this.request(helper, { type: 'evaluationNetwork', ...network });
          helper.networks.add(network.key);
          for (const oldest of helper.networks) {
            if (helper.networks.size <= EVALUATION_NETWORKS_KEPT) break;
            helper.networks.delete(oldest);
          }
        }
        const reply = await this.request(helper, {
          type: 'evaluationDraw',
          key: network.key,
          images: set.images,
          count: set.count,
          imageShape: set.imageShape,
          classes: set.classes,
          seed: set.seed,
          draw,
          chunkSize: set.chunkSize,
        });
        this.keepAlive();
        if (reply.type !== 'probabilities') {
          throw new EvaluationPoolError(`Evaluation helper answered a draw with "${reply.type}".`);
        }
        return reply.values;
      },
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.idleTimer);
    await Promise.all(this.helpersList.map((helper) => helper.worker.terminate()));
  }

  /** Set by the owner: called when the helpers have been idle for a minute (it closes the pool). */
  onIdle: (() => void) | undefined;

  private keepAlive(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.onIdle?.(), IDLE_MS);
    this.idleTimer.unref?.();
  }

  private request(helper: Helper, message: HelperRequest): Promise<HelperReply> {
    if (helper.failed) return Promise.reject(helper.failed);
    if (helper.pending)
      return Promise.reject(new EvaluationPoolError('An evaluation helper was sent two requests at once.'));
    return new Promise<HelperReply>((resolve, reject) => {
      helper.pending = { resolve, reject };
      helper.worker.postMessage(message);
    });
  }

  private watch(helper: Helper, index: number): void {
    const name = `Evaluation helper ${index + 1} of ${this.helpersList.length}`;
    // A dead helper is retired alone: its draw goes back to the worker's thread, the pool is replaced later.
    watchHelper(helper, name, {
      makeError: (message) => new EvaluationPoolError(message),
      isClosing: () => this.closing,
      onDeath: (reason) => {
        helper.failed ??= new EvaluationPoolError(`${name} ${reason}.`);
        helper.pending?.reject(helper.failed);
        helper.pending = undefined;
      },
    });
  }
}

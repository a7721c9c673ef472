/**
 * The host's handle on the training worker thread: spawns it from TypeScript source (tsx, which is
 * also how vitest runs it) or from the bundle, validates what it posts, and reports its death once.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensurePrivateRuntimeDir } from './privateRuntimeDir';
import { workerToHostMessageSchema, type HostToWorkerMessage, type WorkerToHostMessage } from '../worker/messages';

export class TrainingWorkerHostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingWorkerHostError';
  }
}

export interface TrainingWorkerListeners {
  message(message: WorkerToHostMessage): void;
  /** The worker thread ended (crash, exit or terminate); `reason` is a sentence for the user. */
  exit(reason: string): void;
}

/**
 * What the host's worker pool (./workerPool.ts) holds: a training worker, wherever it runs — a Node
 * worker thread (TrainingWorker, below), the desktop app's GPU window (./portTrainingWorker.ts), or
 * both behind one router (./routingTrainingWorker.ts). It speaks electron/worker/messages.ts.
 */
export interface TrainingWorkerHandle {
  readonly alive: boolean;
  /** Throws when the worker has ended. */
  send(message: HostToWorkerMessage): void;
  /** Ends the worker; the `exit` listener still fires, so callers detach first if they mean it. */
  terminate(): Promise<void>;
}

/** Starts a training worker reporting to `listeners` (the pool's seam for other kinds of worker). */
export type TrainingWorkerFactory = (listeners: TrainingWorkerListeners) => TrainingWorkerHandle;

/**
 * Where the worker entry lives: next to this file's source when running under tsx/vitest, and
 * `worker.js` beside the bundle (dist/electron/) when bundled, where import.meta.url is the bundle.
 */
export function defaultTrainingWorkerUrl(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../worker/worker.ts', import.meta.url)
    : new URL('./worker.js', import.meta.url);
}

export class TrainingWorker implements TrainingWorkerHandle {
  private readonly worker: Worker;
  private exited = false;
  private lastError: Error | null = null;

  constructor(
    workerUrl: URL,
    private readonly listeners: TrainingWorkerListeners,
  ) {
    this.worker = spawnWorker(workerUrl);
    // Whatever tfjs prints (its "install tfjs-node" banner, warnings) goes to stderr: stdout belongs
    // to the shells (serve's URL line, the CLI's JSON line).
    this.worker.stdout.pipe(process.stderr, { end: false });
    this.worker.on('message', (raw: unknown) => {
      const parsed = workerToHostMessageSchema.safeParse(raw);
      if (parsed.success) {
        this.listeners.message(parsed.data);
      } else {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? ` at ${issue.path.map(String).join('.')}` : '';
        this.listeners.message({
          type: 'error',
          message: `The training worker posted a malformed message${where}: ${issue?.message ?? 'unknown problem'}.`,
        });
      }
    });
    this.worker.on('error', (error) => {
      this.lastError = error;
    });
    this.worker.on('exit', (code) => {
      this.exited = true;
      const cause = this.lastError ? `: ${this.lastError.message}` : '';
      this.listeners.exit(`The training worker stopped unexpectedly (exit code ${code})${cause}.`);
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  send(message: HostToWorkerMessage): void {
    if (this.exited)
      throw new TrainingWorkerHostError(
        `Cannot send "${message.type}" for run "${message.runId}": the training worker has exited.`,
      );
    this.worker.postMessage(message);
  }

  /** Ends the thread; the `exit` listener still fires, so callers detach first if they mean it. */
  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }
}

/**
 * The worker's own V8 heap limit: a runaway JavaScript allocation ends the worker thread
 * (ERR_WORKER_OUT_OF_MEMORY, its run failed, a fresh worker for the queue) instead of the whole
 * process. Tensors live outside it (typed arrays, wasm's heap), which the configuration budgets
 * (core/experiments/budgets.ts) bound before a run starts.
 */
export const WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 3072, maxYoungGenerationSizeMb: 64 } as const;

/** A worker thread of `workerUrl` (a .ts entry goes through tsx); `workerData` is handed to it as is. */
export function spawnWorker(workerUrl: URL, workerData?: unknown): Worker {
  // Before the thread exists: GPU drivers it loads read the process's real environment (./privateRuntimeDir.ts).
  ensurePrivateRuntimeDir();
  const options = { stdout: true, resourceLimits: WORKER_RESOURCE_LIMITS, workerData };
  if (!workerUrl.pathname.endsWith('.ts')) return new Worker(workerUrl, options);
  // `execArgv: ['--import', 'tsx']` races on Node 20: the worker's entry is resolved before tsx's
  // hooks are registered (ERR_UNKNOWN_FILE_EXTENSION). A CommonJS bootstrap that registers tsx
  // synchronously and then imports the entry does not race.
  // (The ESM build of tsx's API: its CommonJS build mis-resolves its own files inside an eval worker.)
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true, argv: [fileURLToPath(workerUrl)] });
}

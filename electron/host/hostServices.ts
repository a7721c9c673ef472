/**
 * Wires the host services every shell uses — run store, run manager, API handler — so main.ts,
 * serve.ts and cli.ts stay thin adapters. The host knows experiments only by their descriptors
 * (pure data): it never loads tfjs, which stays in the training worker. Also decides how the
 * runs folder is opened: its owner holds the lock (./runsFolderLock) and recovers runs a dead
 * process left; anyone else opens it read-only or is refused.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { listExperimentInfos, totalStepsOf } from '../../core/experiments/registry';
import type { Environment } from '../../core/contract/workbenchApi';
import { createApiHandler, type ApiHandler } from './apiHandler';
import { OodService } from './oodService';
import { ShiftService, type ShiftServiceOptions } from './shiftService';
import { PosthocService } from './posthocService';
import { RunManager } from './runManager';
import { queueTargetFor, type QueueTargetOptions } from './remote/queueTarget';
import { EnsembleService } from './ensembleService';
import { RunStore, type RunStoreAccess } from './runStore';
import { SweepService } from './sweepService';
import { describeLockOwner, RunsFolderInUseError, RunsFolderLock } from './runsFolderLock';
import type { TrainingWorkerFactory } from './trainingWorker';

/**
 * - `owner`: take the runs folder's lock or fail with a message naming its owner (CLI train and
 *   evaluate-ood, which must write).
 * - `owner-or-read-only` (the shells): take the lock, or open read-only when another live process
 *   holds it or the folder cannot be written (read-only disk, no permission).
 * - `read-only`: never write, never lock (classify, report).
 */
export type RunsFolderAccess = 'owner' | 'owner-or-read-only' | 'read-only';

export interface HostServicesOptions {
  runsDir: string;
  shell: Environment['shell'];
  workerUrl?: URL;
  /** The post-hoc worker's entry (electron/worker/posthocWorker.ts; the desktop app's unpacked bundle). */
  posthocWorkerUrl?: URL;
  /** Another kind of training worker than the Node thread of `workerUrl` (the desktop app's router to its GPU window). */
  trainingWorkerFactory?: TrainingWorkerFactory;
  warn?(message: string): void;
  /** How to open the runs folder; `owner-or-read-only` by default. */
  access?: RunsFolderAccess;
  /** What this process is called in the lock and in other processes' messages (default: from `shell`). */
  processName?: string;
  /** Mark runs a dead process left unfinished as interrupted (default true; only an owner can). */
  recoverRuns?: boolean;
  /** Training time between checkpoints taken without an evaluation (default 60 s). */
  checkpointIntervalMs?: number;
  /** The shift evaluation's sets (the benchmark's and tests' smaller ones; the app's by default). */
  shiftSets?: Pick<ShiftServiceOptions, 'referenceSets' | 'imagesPerSet' | 'kinds'>;
  /** The run queue's Redis URL (`redis://[user:password@]host:port`, `rediss://` for TLS): runs with `runOn: 'queue'` go there. */
  queueUrl?: string;
  /** Options of the run queue (tests shorten its reads). */
  queueOptions?: Omit<QueueTargetOptions, 'url'>;
  /** Local runs trained at once (default 1; electron/host/localConcurrency.ts). */
  concurrency?: number;
}

export interface HostServices {
  runManager: RunManager;
  api: ApiHandler;
  ood: OodService;
  shift: ShiftService;
  /** Post-hoc fits stored with their runs (runs/<id>/posthoc-<method>.json). */
  posthoc: PosthocService;
  sweeps: SweepService;
  ensemble: EnsembleService;
  /** Ids of runs a dead process had left unfinished, now marked interrupted. */
  interruptedRunIds: string[];
  /** Why this process may not change the runs folder (it was opened read-only), or null when it owns it. */
  readOnlyReason: string | null;
}

const defaultProcessNames: Record<Environment['shell'], string> = {
  electron: 'the desktop app',
  browser: 'serve',
  test: 'a workbench command',
};

/** Opens the runs folder as `access` asks: the lock and the store's access mode. */
export async function openRunsFolder(
  runsDir: string,
  access: RunsFolderAccess,
  processName: string,
): Promise<{ lock?: RunsFolderLock; access: RunStoreAccess }> {
  if (access === 'read-only')
    return { access: { mode: 'read-only', reason: `${processName} opens the runs folder ${runsDir} read-only.` } };
  try {
    const lock = await RunsFolderLock.acquire(runsDir, processName);
    return { lock, access: { mode: 'read-write' } };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    let reason: string;
    if (error instanceof RunsFolderInUseError) {
      reason = error.owner
        ? `The runs folder ${runsDir} is in use by ${describeLockOwner(error.owner)}; it was opened read-only.`
        : `${error.message} It was opened read-only.`;
      if (access === 'owner')
        throw new RunsFolderInUseError(
          `${error.message} Only one workbench process may change a runs folder; close that one, or use another --runs-dir.`,
          error.owner,
        );
    } else if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
      reason = `The runs folder ${runsDir} cannot be written (${code}: ${(error as Error).message}); it was opened read-only.`;
      if (access === 'owner')
        throw new Error(`The runs folder ${runsDir} cannot be written (${code}); choose a writable --runs-dir.`, {
          cause: error,
        });
    } else {
      throw error;
    }
    return { access: { mode: 'read-only', reason } };
  }
}

export { totalStepsOf };

export async function openHostServices(options: HostServicesOptions): Promise<HostServices> {
  const runsDir = path.resolve(options.runsDir);
  const opened = await openRunsFolder(
    runsDir,
    options.access ?? 'owner-or-read-only',
    options.processName ?? defaultProcessNames[options.shell],
  );
  const store = new RunStore(runsDir, { access: opened.access, lock: opened.lock });
  const readOnlyReason = opened.access.mode === 'read-only' ? opened.access.reason : null;
  if (readOnlyReason && options.access !== 'read-only')
    (options.warn ?? ((message: string) => console.error(`Bayesian Workbench: ${message}`)))(readOnlyReason);
  // A malformed URL is refused here; an unreachable Redis or a wrong password is said and retried (local runs go on).
  const remote =
    options.queueUrl && !readOnlyReason ? queueTargetFor(options.queueUrl, options.queueOptions) : undefined;
  const runManager = new RunManager({
    remote,
    store,
    totalSteps: totalStepsOf,
    workerUrl: options.workerUrl,
    ...(options.trainingWorkerFactory ? { trainingWorkerFactory: options.trainingWorkerFactory } : {}),
    warn: options.warn,
    ...(options.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: options.checkpointIntervalMs } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });
  const ood = new OodService({ runs: runManager, store, warn: options.warn });
  const shift = new ShiftService({ runs: runManager, store, warn: options.warn, ...options.shiftSets });
  const posthoc = new PosthocService({
    store,
    runs: runManager,
    warn: options.warn,
    ...(options.posthocWorkerUrl ? { workerUrl: options.posthocWorkerUrl } : {}),
  });
  if (remote) await remote.open(runManager.remoteSink());
  const sweeps = new SweepService({ runs: runManager, store, warn: options.warn });
  const ensemble = new EnsembleService({ runs: runManager, store, totalSteps: totalStepsOf });
  const interruptedRunIds = options.recoverRuns === false ? [] : await runManager.initialize();
  const version = workbenchVersion();
  const api = createApiHandler({
    runs: runManager,
    listExperiments: listExperimentInfos,
    environment: () => {
      const queue = runManager.queueStatus;
      return {
        shell: options.shell,
        version,
        runsDir,
        ...(readOnlyReason ? { readOnlyReason } : {}),
        ...(queue ? { queue } : {}),
      };
    },
    ood,
    shift,
    posthoc,
    sweeps,
    ensemble,
    warn: options.warn,
  });
  return { runManager, api, ood, shift, posthoc, sweeps, ensemble, interruptedRunIds, readOnlyReason };
}

/** The version in package.json, found by walking up from this file (source or bundle). */
function workbenchVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth += 1) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'bayesian-workbench' && manifest.version) return manifest.version;
    } catch {
      // not here; look one folder up
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

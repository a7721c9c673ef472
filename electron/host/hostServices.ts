/**
 * Wires the host services every shell uses — run store, run manager, API handler — so main.ts,
 * serve.ts and cli.ts stay thin adapters. The host knows experiments only by their descriptors
 * (pure data): it never loads tfjs, which stays in the training worker.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { listExperimentInfos, totalStepsOf } from '../../core/experiments/registry';
import type { Environment } from '../../core/contract/workbenchApi';
import { createApiHandler, type ApiHandler } from './apiHandler';
import { OodService } from './oodService';
import { RunManager } from './runManager';
import { RunStore } from './runStore';

export interface HostServicesOptions {
  runsDir: string;
  shell: Environment['shell'];
  workerUrl?: URL;
  warn?(message: string): void;
}

export interface HostServices {
  runManager: RunManager;
  api: ApiHandler;
  ood: OodService;
  /** Ids of runs a dead process had left unfinished, now marked interrupted. */
  interruptedRunIds: string[];
}

export { totalStepsOf };

export async function openHostServices(options: HostServicesOptions): Promise<HostServices> {
  const runsDir = path.resolve(options.runsDir);
  const store = new RunStore(runsDir);
  const runManager = new RunManager({ store, totalSteps: totalStepsOf, workerUrl: options.workerUrl, warn: options.warn });
  const ood = new OodService({ runs: runManager, store, warn: options.warn });
  const interruptedRunIds = await runManager.initialize();
  const version = workbenchVersion();
  const api = createApiHandler({
    runs: runManager,
    listExperiments: listExperimentInfos,
    environment: () => ({ shell: options.shell, version, runsDir }),
    ood,
    warn: options.warn,
  });
  return { runManager, api, ood, interruptedRunIds };
}

/** The version in package.json, found by walking up from this file (source or bundle). */
function workbenchVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth += 1) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'bayesian-workbench' && manifest.version) return manifest.version;
    } catch {
      // not here; look one folder up
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

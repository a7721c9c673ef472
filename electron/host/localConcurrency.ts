/**
 * How many local runs train at once. The apps keep one at a time unless told otherwise (a run on
 * the wasm backend may itself use every core through its data-parallel workers); a sweep of many
 * small runs trains one per core when the backend allows it:
 * - libtensorflow (`@tensorflow/tfjs-node(-gpu)` installed) already uses every core for one run → 1;
 * - wasm and cpu run one thread per run → one run per core, at most as many as memory holds at the
 *   budget's estimate per training worker, and never more than the pool's maximum.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { LIBTENSORFLOW_PACKAGES } from '../worker/libtensorflowPackages';
import { MAX_CONCURRENCY } from './workerPool';

/** A training worker's memory at the resource budget's high end (wasm LeNet5 measured at 500–650 MB). */
const BYTES_PER_TRAINING_WORKER = 1024 ** 3;

export interface ConcurrencyFacts {
  cores: number;
  totalMemoryBytes: number;
  /** Whether libtensorflow's binding can be resolved (it then uses every core for one run). */
  tensorflowInstalled: boolean;
}

export function machineFacts(): ConcurrencyFacts {
  const require = createRequire(import.meta.url);
  const resolvable = (name: string) => {
    try {
      require.resolve(name);
      return true;
    } catch {
      return false;
    }
  };
  return {
    cores: os.availableParallelism(),
    totalMemoryBytes: os.totalmem(),
    tensorflowInstalled: LIBTENSORFLOW_PACKAGES.some((candidate) => resolvable(candidate.name)),
  };
}

/** Runs a sweep trains at once on this machine by default, with the reason (said on stderr by the CLI). */
export function defaultSweepConcurrency(facts: ConcurrencyFacts = machineFacts()): { runs: number; reason: string } {
  if (facts.tensorflowInstalled)
    return { runs: 1, reason: 'libtensorflow is installed and uses every core for one run' };
  const byMemory = Math.max(1, Math.floor((facts.totalMemoryBytes * 0.75) / BYTES_PER_TRAINING_WORKER));
  const runs = Math.max(1, Math.min(facts.cores, byMemory, MAX_CONCURRENCY));
  const limit =
    runs === facts.cores
      ? `one per core (${facts.cores})`
      : runs === byMemory
        ? 'as many as memory holds'
        : 'the maximum';
  return { runs, reason: `wasm/cpu runs use one thread each: ${limit}` };
}

/** Parses `--concurrency N` (1…MAX_CONCURRENCY), with the message a user reads. */
export function parseConcurrency(value: string): number {
  const runs = Number(value);
  if (!Number.isInteger(runs) || runs < 1 || runs > MAX_CONCURRENCY)
    throw new Error(`--concurrency takes a whole number of runs from 1 to ${MAX_CONCURRENCY}, not "${value}".`);
  return runs;
}

/**
 * `npm run sweep -- --file sweep.json [--queue redis://…] [--concurrency N] [--runs-dir DIR] [--json]`: starts a sweep
 * (a base run configuration × axes × seeds, core/sweeps/sweepFile.ts) through the same sweep
 * service, run manager and worker as the apps, waits for every run, shows each run's end on
 * stderr, and prints what it did; with --json the last stdout line is one JSON object:
 * `{sweepId, runs: [{id, state, worker, config}], done, failed}`. With `--queue` the runs go to the
 * run queue (BullMQ on that Redis) and are trained by `npm run worker` processes, streamed back
 * into this runs folder.
 */
import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import type { SweepStatus } from '../../core/contract/sweep';
import type { RunRecord } from '../../core/contract/workbenchApi';
import { openHostServices, type HostServices } from '../host/hostServices';
import { defaultSweepConcurrency } from '../host/localConcurrency';
import { workerOf } from '../host/sweepService';
import { MAX_CONCURRENCY } from '../host/workerPool';
import { concurrencyOption } from './concurrencyOption';

interface SweepOptions {
  file: string;
  runsDir: string;
  queue?: string;
  concurrency?: number;
  json?: boolean;
}

/** A sweep file is a few kB; anything far larger is not one. */
const MAX_SWEEP_FILE_BYTES = 1024 * 1024;

export function registerSweepCommand(program: Command): void {
  program
    .command('sweep')
    .description(
      'Start a sweep (base configuration × axes × seeds) from a JSON file, wait for its runs and report them.',
    )
    .requiredOption(
      '--file <sweep.json>',
      'the sweep: {"name", "base": {…a run configuration…}, "axes": {"learningRate": [0.01, 0.03]}, "seeds": [0, 1, 2], "search": "grid"|"random", "count"?, "randomSeed"?}',
    )
    .option('--runs-dir <dir>', 'folder that holds the run folders', './runs')
    .option(
      '--queue <url>',
      'train the runs on queue workers (`npm run worker`) through this Redis: redis://[user:password@]host:port, or rediss://… for TLS',
    )
    .option(
      '--concurrency <n>',
      `local runs trained at once (default: one per core on wasm/cpu, 1 with libtensorflow; at most ${MAX_CONCURRENCY})`,
      concurrencyOption,
    )
    .option(
      '--json',
      'make the last stdout line one JSON object: {sweepId, runs: [{id, state, worker, config}], done, failed}',
    )
    .action(async (options: SweepOptions) => {
      process.exitCode = await runSweep(options);
    });
}

async function readSweepFile(file: string): Promise<unknown> {
  const stats = await fs.stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`The sweep file ${file} cannot be read (${error.code ?? error.message}).`);
  });
  if (!stats.isFile()) throw new Error(`The sweep file ${file} is not a file.`);
  if (stats.size > MAX_SWEEP_FILE_BYTES)
    throw new Error(`The sweep file ${file} has ${stats.size} bytes; a sweep file is at most ${MAX_SWEEP_FILE_BYTES}.`);
  const text = await fs.readFile(file, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`The sweep file ${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The host the sweep runs on. Local runs use the run manager's queue; with `--queue` the host is
 * opened with the run queue, which must answer now (a wrong password or a dead server is said at
 * once and nothing starts).
 */
async function openSweepHost(options: SweepOptions): Promise<HostServices> {
  let concurrency = options.concurrency;
  if (concurrency === undefined && !options.queue) {
    const chosen = defaultSweepConcurrency();
    concurrency = chosen.runs;
    console.error(
      `Training ${chosen.runs} run${chosen.runs === 1 ? '' : 's'} at once (${chosen.reason}; --concurrency N to change).`,
    );
  }
  const services = await openHostServices({
    ...(concurrency !== undefined ? { concurrency } : {}),
    runsDir: options.runsDir,
    shell: 'test',
    access: 'owner',
    processName: 'the sweep command',
    ...(options.queue ? { queueUrl: options.queue } : {}),
    // With a queue, the host's own warnings about it are said once, as the error below.
    warn: (message) => {
      if (!(options.queue && /^The run queue cannot be used/.test(message))) console.error(`Warning: ${message}`);
    },
  });
  const problem = services.runManager.queueStatus?.problem;
  if (problem) {
    await services.runManager.close();
    throw new Error(`The run queue cannot be used: ${problem}`);
  }
  return services;
}

/** With `--queue`, every run of the sweep goes to the run queue (the file's `runOn` is overridden). */
function onQueue(file: unknown, options: SweepOptions): unknown {
  if (!options.queue || typeof file !== 'object' || file === null || Array.isArray(file)) return file;
  return { ...file, runOn: 'queue' };
}

async function runSweep(options: SweepOptions): Promise<number> {
  let file: unknown;
  try {
    file = onQueue(await readSweepFile(options.file), options);
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    return 2;
  }
  let services: HostServices;
  try {
    services = await openSweepHost(options);
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    return 1;
  }
  const { runManager, sweeps } = services;
  let status: SweepStatus | undefined;
  let stopRequested = false;
  const onInterrupt = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    console.error(
      'Stopping the sweep: queued runs are dropped, the training one stops at its next step (Ctrl-C again quits at once)…',
    );
    for (const id of status?.sweep.runIds ?? []) void runManager.stopRun(id).catch(() => undefined);
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    try {
      sweeps.plan(file, { allowHostPaths: true });
    } catch (error) {
      console.error(`Error: ${(error as Error).message}`);
      return 2;
    }
    status = await sweeps.startSweep(file, { allowHostPaths: true });
    const total = status.sweep.runIds.length;
    console.error(
      `Sweep ${status.sweep.id} ("${status.sweep.name}"): ${total} runs in ${status.sweep.groups.length} seed groups, swept ${status.sweep.keys.join(', ') || 'nothing'} → ${runManager.runsDir}`,
    );
    let finished = 0;
    const records = await Promise.all(
      status.sweep.runIds.map(async (id) => {
        const record = await runManager.waitForRun(id);
        finished += 1;
        console.error(
          `[${finished}/${total}] ${record.name}: ${record.state}${record.message ? ` (${record.message})` : ''}`,
        );
        return record;
      }),
    );
    const final = await sweeps.getSweep(status.sweep.id);
    printSweep(final, records, options.json === true);
    return final.counts.failed === 0 ? 0 : 1;
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    return 1;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    await runManager.close();
  }
}

function printSweep(status: SweepStatus, records: readonly RunRecord[], json: boolean): void {
  const byId = new Map(records.map((record) => [record.id, record]));
  const runs = status.runs.map((run) => {
    const record = byId.get(run.id);
    return { id: run.id, state: run.state, worker: record ? workerOf(record) : null, config: record?.config ?? null };
  });
  const result = { sweepId: status.sweep.id, runs, done: status.counts.done, failed: status.counts.failed };
  console.log(
    `Sweep ${status.sweep.id}: ${status.counts.done} done, ${status.counts.failed} failed of ${runs.length} runs.`,
  );
  if (json) console.log(JSON.stringify(result));
}

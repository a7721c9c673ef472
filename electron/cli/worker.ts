/**
 * `npm run worker -- --queue redis://[user:password@]host:port [--name NAME]`: a queue worker
 * (electron/remote/queueWorker.ts) that trains runs from the workbench's run queue until it is
 * stopped. SIGTERM or Ctrl-C: the run in hand is finished first, then the process exits; a second
 * signal exits at once (the run then goes to another worker from its last checkpoint).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { startQueueWorker } from '../remote/queueWorker';

interface WorkerOptions {
  queue?: string;
  name?: string;
  runsCache?: string;
  lockMs?: number;
  stalledIntervalMs?: number;
  maxStalled?: number;
  concurrency?: number;
  maxBacklogMb?: number;
}

function parsePositiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1 || !Number.isSafeInteger(number))
    throw new InvalidArgumentError(`"${value}" is not a positive whole number.`);
  return number;
}

function parsePositiveNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0)
    throw new InvalidArgumentError(`"${value}" is not a positive number.`);
  return number;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Train runs from the run queue (BullMQ on Redis) and stream them back to the workbench.')
    .option(
      '--queue <url>',
      'Redis URL of the run queue: redis://[user:password@]host:port, or rediss://… for TLS (default: $WORKBENCH_QUEUE_URL)',
      process.env.WORKBENCH_QUEUE_URL,
    )
    .option(
      '--name <name>',
      'name shown on the runs this worker trains (default: $WORKBENCH_WORKER_NAME, else host name and process id)',
      process.env.WORKBENCH_WORKER_NAME,
    )
    .option(
      '--runs-cache <dir>',
      "folder for this worker's temporary files (sets TMPDIR; default: the system's temporary folder)",
    )
    .option(
      '--lock-ms <ms>',
      'how long a silent worker keeps its run before it is taken for dead (default 30000)',
      parsePositiveInteger,
    )
    .option(
      '--stalled-interval-ms <ms>',
      'how often to look for runs whose worker died (default 30000)',
      parsePositiveInteger,
    )
    .option(
      '--concurrency <n>',
      'runs trained at once, each in its own thread (default 1; more only with the wasm or cpu backend)',
      parsePositiveInteger,
    )
    .option(
      '--max-stalled <n>',
      'times a run may lose its worker before it is failed (default 2)',
      parsePositiveInteger,
    )
    .option(
      '--max-backlog-mb <mb>',
      "megabytes of a run's events Redis may leave unacknowledged (it is down) before training waits for it (default 64)",
      parsePositiveNumber,
    )
    .action(async (options: WorkerOptions) => {
      process.exitCode = await runWorker(options);
    });
}

async function runWorker(options: WorkerOptions): Promise<number> {
  if (!options.queue) {
    console.error(
      'Error: give the run queue as --queue redis://[user:password@]host:port (or set WORKBENCH_QUEUE_URL).',
    );
    return 2;
  }
  if (options.runsCache) {
    const dir = path.resolve(options.runsCache);
    mkdirSync(dir, { recursive: true });
    process.env.TMPDIR = dir;
  }
  let worker: Awaited<ReturnType<typeof startQueueWorker>>;
  try {
    worker = await startQueueWorker({
      url: options.queue,
      ...(options.name ? { name: options.name } : {}),
      ...(options.lockMs ? { lockDurationMs: options.lockMs } : {}),
      ...(options.stalledIntervalMs ? { stalledIntervalMs: options.stalledIntervalMs } : {}),
      ...(options.maxStalled ? { maxStalledCount: options.maxStalled } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.maxBacklogMb ? { maxBacklogBytes: Math.round(options.maxBacklogMb * 2 ** 20) } : {}),
    });
  } catch (error) {
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) process.exit(130);
      stopping = true;
      console.error(`Worker ${worker.name}: ${signal} received; finishing the run in hand, then exiting.`);
      worker.close().then(
        () => {
          // Everything is closed; a handle some library still holds must not keep the process up.
          setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
          resolve(0);
        },
        (error: unknown) => {
          console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

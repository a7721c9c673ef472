/**
 * Peak resident memory of the methods' heaviest commands, each the real CLI in its own child process
 * under GNU time (`/usr/bin/time -v`, Debian package `time`), so each figure is that whole process
 * (Node, tfjs, its worker threads, the dataset) at its high-water mark:
 * - a 5-member deep-ensemble LeNet5 run on bundled MNIST (the `quick` preset cut to `--steps`,
 *   default 300, so one periodic and the final evaluation of every member are included);
 * - a last-layer Laplace fit (Kronecker GGN, marginal-likelihood prior precision, probit predictive)
 *   on a deterministic run trained here for `--laplace-steps` (default 50) steps: the fit's memory
 *   depends on the data and the last layer, not on how long the net was trained.
 * Runs go to a temporary runs folder, deleted at the end. Prints one JSON object (MB = 2^20 bytes).
 *
 *   npx tsx bench/methodsMemory.ts [--backend wasm|cpu] [--steps 300] [--laplace-steps 50]
 *
 * Issue 11's target: at most 1 GB for the whole app on wasm.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : fallback;
};
const backend = option('backend', 'wasm');
const TIME = '/usr/bin/time';
const tsxCli = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
const cli = fileURLToPath(new URL('../electron/cli.ts', import.meta.url));

interface Measured {
  command: string;
  exitCode: number | null;
  peakRssMb: number | null;
  wallSeconds: number;
  /** The command's JSON summary (its last stdout line). */
  result: Record<string, unknown> | null;
}

/** Runs the CLI with `args` under GNU time; its "Maximum resident set size" is the peak RSS. */
function measured(args: string[]): Measured {
  const started = performance.now();
  const child = spawnSync(TIME, ['-v', process.execPath, tsxCli, cli, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 1_800_000,
  });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(child.stderr ?? '');
  const lastLine = (child.stdout ?? '').trim().split('\n').at(-1) ?? '';
  let result: Record<string, unknown> | null;
  try {
    result = JSON.parse(lastLine) as Record<string, unknown>;
  } catch {
    result = null;
  }
  return {
    command: `npm run train|evaluate -- ${args.join(' ')}`,
    exitCode: child.status,
    peakRssMb: rss ? Math.round(Number(rss[1]) / 1024) : null,
    wallSeconds: Math.round((performance.now() - started) / 100) / 10,
    result,
  };
}

if (!existsSync(TIME)) {
  console.log(JSON.stringify({ failed: `${TIME} is missing; install GNU time (Debian: apt-get install time).` }));
} else {
  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'methods-memory-'));
  try {
    const common = ['--experiment', 'lenet5', '--preset', 'quick', '--backend', backend, '--runs-dir', runsDir];
    const ensemble = measured([
      'train',
      ...common,
      '--method',
      'ensemble',
      '--members',
      '5',
      '--steps',
      option('steps', '300'),
      '--json',
    ]);
    const deterministic = measured([
      'train',
      ...common,
      '--method',
      'deterministic',
      '--steps',
      option('laplace-steps', '50'),
      '--json',
    ]);
    const runDir = deterministic.result?.runDir;
    const laplace =
      typeof runDir === 'string'
        ? measured(['evaluate', 'laplace', '--run', runDir, '--json'])
        : { failed: 'the deterministic run to fit Laplace on did not finish' };
    const summary = (run: Measured) => ({
      ...run,
      result: run.result && {
        steps: run.result.steps,
        heldoutAccuracy: run.result.heldoutAccuracy,
        stepsPerSecond: run.result.stepsPerSecond,
      },
    });
    console.log(
      JSON.stringify(
        {
          backend,
          loadAverage: os.loadavg().map((value) => Math.round(value * 100) / 100),
          ensembleRun: summary(ensemble),
          deterministicRunForLaplace: summary(deterministic),
          laplaceFit: laplace,
          targetMb: 1024,
        },
        null,
        2,
      ),
    );
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
}

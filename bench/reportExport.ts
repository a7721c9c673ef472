/**
 * What making a report costs, as a user makes it: `npm run report -- --run … --out FILE --size S`
 * run as its own process (start-up included) for a sinusoid run, a LeNet5 run and a comparison,
 * in every format (PNG, SVG, PDF) and size (screen, column, page, slide). Prints one JSON object:
 * per report, format and size the file's bytes and the wall-clock seconds of the command, and for
 * SVGs the number of `<path>` elements.
 *
 *   npx tsx bench/reportExport.ts --sinusoid RUNDIR --lenet5 RUNDIR --compare RUNDIR,RUNDIR,RUNDIR
 *       [--formats png,svg,pdf] [--sizes screen,column,page,slide] [--keep DIR]
 *
 * The run folders are only read. Files are written to a temporary folder (or --keep DIR, to look
 * at them) and removed afterwards unless kept.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function list(name: string, fallback: string): string[] {
  return (option(name) ?? fallback).split(',').filter(Boolean);
}

interface Report {
  name: string;
  /** Arguments naming the run(s): `--run DIR [--compare DIR...]`. */
  runArgs: string[];
}

function reports(): Report[] {
  const chosen: Report[] = [];
  const sinusoid = option('sinusoid');
  const lenet5 = option('lenet5');
  const compare = option('compare')?.split(',').filter(Boolean);
  if (sinusoid) chosen.push({ name: 'sinusoid run', runArgs: ['--run', sinusoid] });
  if (lenet5) chosen.push({ name: 'LeNet5 run', runArgs: ['--run', lenet5] });
  if (compare && compare.length > 1)
    chosen.push({
      name: `${compare.length}-run comparison`,
      runArgs: ['--run', compare[0], '--compare', ...compare.slice(1)],
    });
  if (chosen.length === 0)
    throw new Error('Name at least one run: --sinusoid RUNDIR, --lenet5 RUNDIR or --compare RUNDIR,RUNDIR[,…].');
  return chosen;
}

/** Runs `npm run report -- …` (as `node --import tsx electron/cli.ts report …`); resolves to its wall seconds. */
function report(args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'electron/cli.ts', 'report', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve((performance.now() - started) / 1000)
        : reject(new Error(`report ${args.join(' ')} exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

async function main(): Promise<void> {
  const formats = list('formats', 'png,svg,pdf');
  const sizes = list('sizes', 'screen,column,page,slide');
  const keep = option('keep');
  const outDir = keep ?? (await mkdtemp(path.join(tmpdir(), 'workbench-bench-report-')));
  await mkdir(outDir, { recursive: true });
  const rows: {
    report: string;
    format: string;
    size: string;
    bytes: number;
    seconds: number;
    svgPaths?: number;
  }[] = [];
  const loadBefore = loadavg()[0];
  try {
    for (const { name, runArgs } of reports()) {
      for (const size of sizes) {
        for (const format of formats) {
          const file = path.join(outDir, `${name.replace(/[^A-Za-z0-9]+/g, '-')}-${size}.${format}`);
          const seconds = await report([...runArgs, '--out', file, '--size', size]);
          const row: (typeof rows)[number] = {
            report: name,
            format,
            size,
            bytes: (await stat(file)).size,
            seconds: Math.round(seconds * 100) / 100,
          };
          if (format === 'svg') row.svgPaths = ((await readFile(file, 'utf8')).match(/<path /g) ?? []).length;
          rows.push(row);
          process.stderr.write(`${name} ${size} ${format}: ${row.bytes} bytes, ${row.seconds} s\n`);
        }
      }
    }
  } finally {
    if (!keep) await rm(outDir, { recursive: true, force: true });
  }
  console.log(
    JSON.stringify(
      {
        what: 'npm run report as its own process per file: bytes and wall seconds (start-up included)',
        cores: availableParallelism(),
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg()[0],
        rows,
      },
      null,
      2,
    ),
  );
}

await main();

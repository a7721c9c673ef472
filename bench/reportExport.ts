/**
 * What making a report costs, as a user makes it: `npm run report -- --run … --out FILE --size S`
 * run as its own process (start-up included) for each named run (e.g. a sinusoid run and a
 * 6000-step LeNet5 run) and a comparison, in every format (PNG, SVG, PDF) and size (screen,
 * column, page, slide). Prints one JSON object:
 * per report, format and size the file's bytes and the wall-clock seconds of the command, and for
 * SVGs the number of `<path>` elements.
 *
 *   npx tsx bench/reportExport.ts [--run "NAME=RUNDIR"]... [--compare RUNDIR,RUNDIR,RUNDIR]
 *       [--formats png,svg,pdf] [--sizes screen,column,page,slide] [--keep DIR]
 *
 * With --in-process the run folders are read and laid out once per report (`loadSeconds`) and
 * each file is made by the same function the CLI calls (`renderReportFile`), timed alone: the
 * numbers without a process start per file, for a machine too busy to start 36 processes.
 *
 * The run folders are only read. Files are written to a temporary folder (or --keep DIR, to look
 * at them) and removed afterwards unless kept.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { comparisonReportLayout } from '../core/figures/comparisonReport';
import { figureSize } from '../core/figures/figureSizes';
import type { ReportLayout } from '../core/figures/reportLayout';
import { runReportLayout } from '../core/figures/runReport';
import { comparisonRunOf, loadRunFolder } from '../electron/host/runReports';
import { renderReportFile, type FigureFormat } from '../electron/host/vectorFigures';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

/** Every value of a repeated option. */
function options(name: string): string[] {
  return process.argv.flatMap((arg, i) =>
    arg === `--${name}` && i + 1 < process.argv.length ? [process.argv[i + 1]] : [],
  );
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
  const chosen: Report[] = options('run').map((value) => {
    const [name, dir] = value.includes('=')
      ? [value.slice(0, value.indexOf('=')), value.slice(value.indexOf('=') + 1)]
      : [path.basename(value), value];
    return { name, runArgs: ['--run', dir] };
  });
  const compare = option('compare')?.split(',').filter(Boolean);
  if (compare && compare.length > 1)
    chosen.push({
      name: `${compare.length}-run comparison`,
      runArgs: ['--run', compare[0], '--compare', ...compare.slice(1)],
    });
  if (chosen.length === 0)
    throw new Error('Name at least one run: --run "NAME=RUNDIR" (repeatable) or --compare RUNDIR,RUNDIR[,…].');
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

/** The report's layout as the CLI makes it (electron/cli/report.ts), and the seconds to read and lay it out. */
async function loadLayout(runArgs: string[]): Promise<{ layout: ReportLayout; seconds: number }> {
  const started = performance.now();
  const dirs = runArgs.filter((arg) => !arg.startsWith('--'));
  const loaded = await Promise.all(dirs.map((dir) => loadRunFolder(dir)));
  const generatedAt = new Date().toISOString();
  const layout =
    loaded.length === 1
      ? runReportLayout(loaded[0].record, loaded[0].data, { generatedAt, ood: loaded[0].ood, shift: loaded[0].shift })
      : comparisonReportLayout(loaded.map(comparisonRunOf), { generatedAt });
  return { layout, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const inProcess = process.argv.includes('--in-process');
  const loadSeconds: Record<string, number> = {};
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
      const loaded = inProcess ? await loadLayout(runArgs) : null;
      if (loaded) loadSeconds[name] = Math.round(loaded.seconds * 100) / 100;
      for (const size of sizes) {
        for (const format of formats) {
          const file = path.join(outDir, `${name.replace(/[^A-Za-z0-9]+/g, '-')}-${size}.${format}`);
          let seconds: number;
          if (loaded) {
            const started = performance.now();
            const bytes = await renderReportFile(loaded.layout, {
              format: format as FigureFormat,
              size: figureSize(size),
            });
            seconds = (performance.now() - started) / 1000;
            await writeFile(file, bytes);
          } else seconds = await report([...runArgs, '--out', file, '--size', size]);
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
        what: inProcess
          ? 'renderReportFile per file in one process: bytes and seconds (reading and laying out the runs: loadSeconds)'
          : 'npm run report as its own process per file: bytes and wall seconds (start-up included)',
        loadSeconds: inProcess ? loadSeconds : undefined,
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

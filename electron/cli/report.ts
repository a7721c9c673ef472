/**
 * `npm run report -- --run RUNDIR [--compare RUNDIR...] --out FILE.png [--density 2|3] [--csv FILE.csv]`:
 * the PNG report of a stored run, or of the run compared with others, drawn headless (no display
 * needed), and its metrics as CSV. `train --report/--csv` writes the same after training.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { comparisonCsv } from '../../core/figures/comparisonData';
import { composeComparisonReport, composeRunReport, comparisonRunOf, loadRunFolder, runMetricsCsv } from '../host/runReports';

export class ReportCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportCommandError';
  }
}

export interface RunOutputs {
  /** Where to write the PNG report. */
  report?: string;
  /** Where to write the metrics CSV. */
  csv?: string;
  /** 2 (default) or 3. */
  density?: number;
}

/** The `--density` option both commands share. */
export function densityOption(): Option {
  return new Option('--density <n>', 'pixel density of the PNG report: 2 (screens) or 3 (print)').default(2).argParser((value) => {
    if (value !== '2' && value !== '3') throw new InvalidArgumentError(`"${value}" is not a supported density; use 2 or 3.`);
    return Number(value);
  });
}

function checkExtensions(outputs: RunOutputs): void {
  if (outputs.report && path.extname(outputs.report).toLowerCase() !== '.png') throw new ReportCommandError(`The report is a PNG image; name it *.png, not "${outputs.report}".`);
  if (outputs.csv && path.extname(outputs.csv).toLowerCase() !== '.csv') throw new ReportCommandError(`The metrics table is CSV; name it *.csv, not "${outputs.csv}".`);
}

async function writeOutput(file: string, bytes: Buffer | string, what: string): Promise<void> {
  try {
    await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await fs.writeFile(file, bytes);
  } catch (error) {
    throw new ReportCommandError(`The ${what} could not be written to ${file} (${(error as Error).message}); choose another path.`);
  }
  console.error(`Wrote the ${what}: ${path.resolve(file)}`);
}

/** Writes the report and/or CSV of the run in `runDir`, compared with `compareDirs` if any. */
export async function writeRunOutputs(runDir: string, compareDirs: readonly string[], outputs: RunOutputs): Promise<void> {
  checkExtensions(outputs);
  const main = await loadRunFolder(runDir);
  const others = await Promise.all(compareDirs.map((dir) => loadRunFolder(dir)));
  for (const loaded of [main, ...others]) {
    if (loaded.skippedLines > 0) console.error(`Warning: run "${loaded.record.id}": ${loaded.skippedLines} line(s) of events.ndjson are not valid events and were left out.`);
    if (loaded.oodProblem) console.error(`Warning: run "${loaded.record.id}": ${loaded.oodProblem}`);
  }
  const density = outputs.density ?? 2;
  if (others.length === 0) {
    if (outputs.report) await writeOutput(outputs.report, await composeRunReport(main.data, { run: main.record, ood: main.ood, density }), `report of ${main.record.name}`);
    if (outputs.csv) await writeOutput(outputs.csv, runMetricsCsv(main.data, main.record.config), `metrics of ${main.record.name}`);
    return;
  }
  const runs = [main, ...others].map(comparisonRunOf);
  if (outputs.report) await writeOutput(outputs.report, await composeComparisonReport(runs, { density }), `comparison report of ${runs.length} runs`);
  if (outputs.csv) await writeOutput(outputs.csv, comparisonCsv(runs), `metrics of ${runs.length} runs`);
}

interface ReportOptions {
  run: string;
  compare?: string[];
  out?: string;
  csv?: string;
  density: number;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('Draw the PNG report of a stored run (or a comparison of runs) without a display, and/or write its metrics as CSV.')
    .requiredOption('--run <dir>', 'the run folder (holding run.json and events.ndjson)')
    .option('--compare <dirs...>', 'run folders to compare with --run (makes a comparison report)')
    .option('--out <file.png>', 'where to write the PNG report')
    .option('--csv <file.csv>', 'where to write the metrics as CSV (one row per step, plus evaluation rows)')
    .addOption(densityOption())
    .action(async (options: ReportOptions) => {
      if (!options.out && !options.csv) {
        console.error('Error: nothing to write; give --out FILE.png and/or --csv FILE.csv.');
        process.exitCode = 2;
        return;
      }
      try {
        await writeRunOutputs(options.run, options.compare ?? [], { report: options.out, csv: options.csv, density: options.density });
      } catch (error) {
        console.error(`Error: ${(error as Error).message}`);
        process.exitCode = 1;
      }
    });
}

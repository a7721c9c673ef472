/**
 * `npm run report -- --run RUNDIR [--compare RUNDIR...] --out FILE.png|FILE.svg|FILE.pdf
 * [--size screen|column|page|slide] [--figure NAME] [--density 2|3] [--csv FILE.csv]
 * [--methods-csv FILE.csv] [--methods-md FILE.md]`: the report of a stored run, or of the run compared
 * with others (or one of its figures), drawn headless (no display needed) in the format the file name
 * says, its metrics as CSV, and a comparison's methods table as CSV and/or Markdown (the report's
 * grouping: one row per seed group, post-hoc fits of its runs as rows under it).
 * `train --report/--csv` writes the same after training.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { comparisonCsv } from '../../core/figures/comparisonData';
import { comparisonReportLayout } from '../../core/figures/comparisonReport';
import { methodsTables } from '../../core/figures/methodsTable';
import { methodsTableCsv, methodsTableMarkdown } from '../../core/figures/methodsTableOutputs';
import { FIGURE_SIZE_NAMES, FIGURE_SIZES, isFigureSizeName, type FigureSizeName } from '../../core/figures/figureSizes';
import type { ReportLayout } from '../../core/figures/reportLayout';
import { runReportLayout } from '../../core/figures/runReport';
import { shiftComparisonRows } from '../../core/figures/shiftReport';
import { comparisonRunOf, loadRunFolder, runMetricsCsv, shiftEvaluationsOf } from '../host/runReports';
import { FIGURE_FORMATS, renderFigureFile, renderReportFile, type FigureFormat } from '../host/vectorFigures';

export class ReportCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportCommandError';
  }
}

export interface RunOutputs {
  /** Where to write the report (or the figure): its extension says the format (.png, .svg, .pdf). */
  report?: string;
  /** Where to write the metrics CSV. */
  csv?: string;
  /** Where to write a comparison's methods table as CSV (one table per task kind, one after the other). */
  methodsCsv?: string;
  /** Where to write it as Markdown (as the view shows it). */
  methodsMarkdown?: string;
  /** 2 (default) or 3: PNG density at screen size. */
  density?: number;
  /** screen (default), column, page or slide. */
  size?: FigureSizeName;
  /** Write only this figure of the report (its name as `figureNames` lists them). */
  figure?: string;
}

/** The `--density` option both commands share. */
export function densityOption(): Option {
  return new Option(
    '--density <n>',
    'pixel density of a screen-size PNG: 2 (screens) or 3 (print); print sizes are 300 dpi',
  )
    .default(2)
    .argParser((value) => {
      if (value !== '2' && value !== '3')
        throw new InvalidArgumentError(`"${value}" is not a supported density; use 2 or 3.`);
      return Number(value);
    });
}

/** The `--size` option both commands share. */
export function sizeOption(): Option {
  return new Option(
    '--size <size>',
    "screen (the figures' own size), column (3.5 in), page (7.0 in) or slide (16:9); print sizes are 300 dpi as PNG",
  )
    .default('screen')
    .argParser((value) => {
      if (!isFigureSizeName(value))
        throw new InvalidArgumentError(`"${value}" is not a figure size; use one of ${FIGURE_SIZE_NAMES.join(', ')}.`);
      return value;
    });
}

/** The format the report's file name asks for. */
export function reportFormat(file: string): FigureFormat {
  const extension = path.extname(file).toLowerCase().slice(1);
  if ((FIGURE_FORMATS as readonly string[]).includes(extension)) return extension as FigureFormat;
  throw new ReportCommandError(
    `The report's format comes from its file name: name it *.png, *.svg or *.pdf, not "${file}".`,
  );
}

function checkExtensions(outputs: RunOutputs): void {
  if (outputs.report) reportFormat(outputs.report);
  if (outputs.csv && path.extname(outputs.csv).toLowerCase() !== '.csv')
    throw new ReportCommandError(`The metrics table is CSV; name it *.csv, not "${outputs.csv}".`);
  if (outputs.methodsCsv && path.extname(outputs.methodsCsv).toLowerCase() !== '.csv')
    throw new ReportCommandError(`The methods table is CSV; name it *.csv, not "${outputs.methodsCsv}".`);
  if (outputs.methodsMarkdown && path.extname(outputs.methodsMarkdown).toLowerCase() !== '.md')
    throw new ReportCommandError(
      `--methods-md writes the methods table as Markdown; name it *.md, not "${outputs.methodsMarkdown}".`,
    );
  if (outputs.figure && !outputs.report)
    throw new ReportCommandError(
      `--figure ${outputs.figure} says which figure to write; give --out FILE.png, FILE.svg or FILE.pdf too.`,
    );
}

/** The names --figure takes: the report's panels, in report order. */
export function figureNames(layout: ReportLayout): string[] {
  return layout.panels.map((panel) => panel.spec.id);
}

/** The report, or its one figure `--figure` names, as the bytes of `file`'s format. */
async function reportBytes(layout: ReportLayout, file: string, outputs: RunOutputs): Promise<Buffer> {
  const options = {
    format: reportFormat(file),
    size: FIGURE_SIZES[outputs.size ?? 'screen'],
    density: outputs.density ?? 2,
  };
  if (!outputs.figure) return renderReportFile(layout, options);
  const panel = layout.panels.find((candidate) => candidate.spec.id === outputs.figure);
  if (!panel)
    throw new ReportCommandError(
      `This report has no figure "${outputs.figure}"; its figures are: ${figureNames(layout).join(', ')}.`,
    );
  return renderFigureFile(panel.spec, options);
}

async function writeOutput(file: string, bytes: Buffer | string, what: string): Promise<void> {
  try {
    await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await fs.writeFile(file, bytes);
  } catch (error) {
    throw new ReportCommandError(
      `The ${what} could not be written to ${file} (${(error as Error).message}); choose another path.`,
    );
  }
  console.error(`Wrote the ${what}: ${path.resolve(file)}`);
}

/** Writes the report and/or CSV of the run in `runDir`, compared with `compareDirs` if any. */
export async function writeRunOutputs(
  runDir: string,
  compareDirs: readonly string[],
  outputs: RunOutputs,
): Promise<void> {
  checkExtensions(outputs);
  const main = await loadRunFolder(runDir);
  const others = await Promise.all(compareDirs.map((dir) => loadRunFolder(dir)));
  for (const loaded of [main, ...others]) {
    if (loaded.skippedLines > 0)
      console.error(
        `Warning: run "${loaded.record.id}": ${loaded.skippedLines} line(s) of events.ndjson are not valid events and were left out.`,
      );
    if (loaded.oodProblem) console.error(`Warning: run "${loaded.record.id}": ${loaded.oodProblem}`);
    if (loaded.shiftProblem) console.error(`Warning: run "${loaded.record.id}": ${loaded.shiftProblem}`);
    for (const problem of loaded.posthocProblems) console.error(`Warning: ${problem}`);
  }
  const generatedAt = new Date().toISOString();
  const what = (subject: string) => (outputs.figure ? `figure "${outputs.figure}" of the ${subject}` : subject);
  if (others.length === 0) {
    if (outputs.methodsCsv || outputs.methodsMarkdown)
      throw new ReportCommandError(
        'A methods table compares runs; add --compare RUNDIR… to write one (--methods-csv needs two or more runs).',
      );
    if (outputs.report) {
      const layout = runReportLayout(main.record, main.data, { generatedAt, ood: main.ood, shift: main.shift });
      await writeOutput(
        outputs.report,
        await reportBytes(layout, outputs.report, outputs),
        what(`report of ${main.record.name}`),
      );
    }
    if (outputs.csv)
      await writeOutput(outputs.csv, runMetricsCsv(main.data, main.record.config), `metrics of ${main.record.name}`);
    return;
  }
  const runs = [main, ...others].map(comparisonRunOf);
  if (outputs.report)
    await writeOutput(
      outputs.report,
      await reportBytes(
        comparisonReportLayout(runs, {
          generatedAt,
          extraRows: shiftComparisonRows(runs, shiftEvaluationsOf([main, ...others])),
        }),
        outputs.report,
        outputs,
      ),
      what(`comparison report of ${runs.length} runs`),
    );
  if (outputs.csv) await writeOutput(outputs.csv, comparisonCsv(runs), `metrics of ${runs.length} runs`);
  if (outputs.methodsCsv)
    await writeOutput(
      outputs.methodsCsv,
      // The report's grouping (its default): one row per seed group, mean ± std over its seeds.
      methodsTables(runs, { grouping: 'config' }).map(methodsTableCsv).join('\n'),
      `methods table of ${runs.length} runs`,
    );
  if (outputs.methodsMarkdown)
    await writeOutput(
      outputs.methodsMarkdown,
      methodsTables(runs, { grouping: 'config' })
        .map((table) => methodsTableMarkdown(table))
        .join('\n'),
      `methods table of ${runs.length} runs (Markdown)`,
    );
}

interface ReportOptions {
  run: string;
  compare?: string[];
  out?: string;
  csv?: string;
  methodsCsv?: string;
  methodsMd?: string;
  density: number;
  size: FigureSizeName;
  figure?: string;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description(
      'Draw the report of a stored run (or a comparison of runs, or one figure of it) as PNG, SVG or PDF without a display, and/or write its metrics as CSV.',
    )
    .requiredOption('--run <dir>', 'the run folder (holding run.json and events.ndjson)')
    .option('--compare <dirs...>', 'run folders to compare with --run (makes a comparison report)')
    .option('--out <file>', 'where to write the report: FILE.png, FILE.svg or FILE.pdf (the extension says the format)')
    .option('--figure <name>', "write only this figure of the report (an unknown name lists the report's figures)")
    .option('--csv <file.csv>', 'where to write the metrics as CSV (one row per step, plus evaluation rows)')
    .option(
      '--methods-csv <file.csv>',
      "with --compare: where to write the methods table as CSV (a row per seed group: each score's mean and std)",
    )
    .option(
      '--methods-md <file.md>',
      'with --compare: the methods table as Markdown (as the view shows it: mean ± std, n/a, best in bold)',
    )
    .addOption(sizeOption())
    .addOption(densityOption())
    .action(async (options: ReportOptions) => {
      if (!options.out && !options.csv && !options.methodsCsv && !options.methodsMd) {
        console.error(
          'Error: nothing to write; give --out FILE.png|FILE.svg|FILE.pdf, --csv FILE.csv and/or --methods-csv FILE.csv.',
        );
        process.exitCode = 2;
        return;
      }
      try {
        await writeRunOutputs(options.run, options.compare ?? [], {
          report: options.out,
          csv: options.csv,
          methodsCsv: options.methodsCsv,
          methodsMarkdown: options.methodsMd,
          density: options.density,
          size: options.size,
          figure: options.figure,
        });
      } catch (error) {
        console.error(`Error: ${(error as Error).message}`);
        process.exitCode = 1;
      }
    });
}

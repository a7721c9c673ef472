/**
 * The headless shell: `npm run train -- --experiment sinusoid [--preset default] [--seed 3] ...`
 * trains one run through the same RunManager and worker as the apps, shows progress on stderr,
 * writes the run folder and prints a summary (with --json, the last stdout line is one JSON object).
 */
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { backendChoiceSchema, runConfigSchema, type RunConfig } from '../core/contract/runConfig';
import { descriptorOf, experimentNames, registeredDescriptors } from '../core/experiments/registry';
import { LENET5_CONV_PADDINGS } from '../core/experiments/lenet5/layout';
import { estimatorSpecs } from '../core/estimators/index';
import { methodFromCliName, methods } from '../core/methods/index';
import { defaultKlForm, klFormSchema, priorKinds } from '../core/priors/kinds/index';
import type { ProgressEvent, RunEvent } from '../core/contract/runEvent';
import type { RunRecord } from '../core/contract/workbenchApi';
import { registerClassifyCommand } from './cli/classify';
import { registerEvaluateShiftCommand } from './cli/evaluateShift';
import { registerEvaluateCommand } from './cli/evaluate';
import { registerWorkerCommand } from './cli/worker';
import { registerSweepCommand } from './cli/sweep';
import { openHostServices } from './host/hostServices';
import { densityOption, registerReportCommand, sizeOption, writeRunOutputs } from './cli/report';
import type { FigureSizeName } from '../core/figures/figureSizes';

class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

interface TrainOptions {
  experiment: string;
  preset: string;
  seed?: number;
  epochs?: number;
  steps?: number;
  dataset?: string;
  estimator?: string;
  prior?: string;
  kl?: string;
  klWeight?: number;
  learningRate?: number;
  batchSize?: number;
  convPadding?: string;
  workers?: number;
  evalDraws?: number;
  method?: string;
  members?: number;
  dropout?: number;
  weightDecay?: number;
  validationFraction?: number;
  backend: string;
  runsDir: string;
  json?: boolean;
  report?: string;
  csv?: string;
  density: number;
  checkpointEvery?: number;
  size: FigureSizeName;
}

const program = new Command('workbench').description('Bayesian Workbench, headless.');

/** Which experiments' config a field belongs to, for the help text ("sinusoid, …"). */
function experimentsWith(field: string): string {
  const owners = registeredDescriptors.filter((descriptor) => field in descriptor.presets[0].config);
  return owners.map((descriptor) => descriptor.name).join(', ');
}

const lengthOwners = (field: 'epochs' | 'steps') =>
  registeredDescriptors
    .filter((descriptor) => descriptor.lengthField === field)
    .map((descriptor) => descriptor.name)
    .join(', ');

const klWeightDefaults = registeredDescriptors
  .map((descriptor) => `${descriptor.klWeightDefault.help} for ${descriptor.name}`)
  .join(', ');

program
  .command('train')
  .description('Train one run in the training worker and write its folder under --runs-dir.')
  .requiredOption('--experiment <name>', `experiment to train (${experimentNames.join(', ')})`)
  .option('--preset <name>', "preset of the experiment to start from (default: the experiment's first)")
  .option('--seed <n>', 'random seed (overrides the preset)', parseNonNegativeInteger)
  .option(
    '--epochs <n>',
    `training epochs of a ${lengthOwners('epochs')} run (overrides the preset)`,
    parseNonNegativeInteger,
  )
  .option(
    '--steps <n>',
    `optimizer steps of a ${lengthOwners('steps')} run (overrides the preset)`,
    parseNonNegativeInteger,
  )
  .option(
    '--dataset <spec>',
    `dataset of a ${experimentsWith('dataset')} run: mnist, fashion-mnist or idx:/path/to/folder`,
  )
  .addOption(
    new Option('--estimator <name>', 'gradient estimator of the variational layers').choices(
      estimatorSpecs.map((spec) => spec.name),
    ),
  )
  .addOption(
    new Option(
      '--prior <kind>',
      `weight prior: ${priorKinds.map((kind) => `${kind.kind} (${kind.label})`).join(', ')}`,
    ).choices(priorKinds.map((kind) => kind.kind)),
  )
  .addOption(
    new Option(
      '--kl <form>',
      "KL form (default: the preset's, or Monte Carlo for a prior without a closed form)",
    ).choices(klFormSchema.options),
  )
  .option('--kl-weight <w>', `weight of ΣKL in the loss (default: ${klWeightDefaults})`, parseNonNegativeNumber)
  .option('--learning-rate <lr>', 'Adam learning rate', parseNonNegativeNumber)
  .option('--batch-size <n>', 'training batch size of a lenet5 run (overrides the preset)', parseNonNegativeInteger)
  .addOption(
    new Option(
      '--conv-padding <layout>',
      "LeNet5's convolutions: classic (LeNet-5's, 61,706 weights) or same (every one SAME-padded, as uncertainty-baselines: 545,546)",
    ).choices([...LENET5_CONV_PADDINGS]),
  )
  .option(
    '--eval-draws <n>',
    'posterior draws of each evaluation of a lenet5 run (overrides the preset)',
    parseNonNegativeInteger,
  )
  .option(
    '--workers <n>',
    'threads that train a lenet5 run together, each on a slice of every batch (wasm and cpu backends; default 1)',
    parseNonNegativeInteger,
  )
  .option(
    '--method <name>',
    `uncertainty method (${Object.values(methods)
      .filter((method) => !method.capabilities.postHoc)
      .map((method) => method.cliName)
      .join(', ')}; default vi)`,
  )
  .option('--members <M>', 'members of a deep ensemble (--method ensemble; default 5)', parseNonNegativeInteger)
  .option('--dropout <p>', 'dropout rate of MC dropout in [0, 1) (--method mc-dropout; default 0.1)', parseNumber)
  .option('--weight-decay <w>', 'weight decay of the point-weight methods (default 5e-4)', parseNonNegativeNumber)
  .option(
    '--validation-fraction <f>',
    'training images held out for post-hoc fits (npm run evaluate); lenet5 default 0.1 for point methods, 0 for vi',
    parseNonNegativeNumber,
  )
  .addOption(new Option('--backend <name>', 'tfjs backend').choices(backendChoiceSchema.options).default('auto'))
  .option('--runs-dir <dir>', 'folder that holds the run folders', './runs')
  .option(
    '--checkpoint-every <seconds>',
    'training time between checkpoints besides those after evaluations (default 60): a crash loses at most about this much',
    parsePositiveNumber,
  )
  .option('--json', 'make the last stdout line one JSON object with the results')
  .option(
    '--report <file>',
    'after training, write the report of the run as FILE.png, FILE.svg or FILE.pdf (see the report command)',
  )
  .option('--csv <file.csv>', "after training, write the run's metrics as CSV")
  .addOption(sizeOption())
  .addOption(densityOption())
  .action(async (options: TrainOptions) => {
    process.exitCode = await train(options);
  });

registerClassifyCommand(program);
registerEvaluateCommand(program);
registerEvaluateShiftCommand(program);
registerWorkerCommand(program);
registerSweepCommand(program);

function parseNonNegativeNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0)
    throw new InvalidArgumentError(`"${value}" is not a non-negative number.`);
  return number;
}

/** Any number: its range is the configuration's to check, whose refusal says what would work (the dropout rate). */
function parseNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new InvalidArgumentError(`"${value}" is not a number.`);
  return number;
}

function parsePositiveNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0)
    throw new InvalidArgumentError(`"${value}" is not a positive number.`);
  return number;
}

function parseNonNegativeInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number))
    throw new InvalidArgumentError(`"${value}" is not a whole number.`);
  return number;
}

/** The preset's config with the command line's overrides, validated. */
function buildConfig(
  options: Omit<TrainOptions, 'runsDir' | 'json' | 'report' | 'csv' | 'density' | 'size'>,
): RunConfig {
  if (!experimentNames.includes(options.experiment))
    throw new CliError(`There is no experiment "${options.experiment}"; choose one of ${experimentNames.join(', ')}.`);
  const experiment = descriptorOf(options.experiment);
  const preset =
    options.preset === undefined
      ? experiment.presets[0]
      : experiment.presets.find((candidate) => candidate.name === options.preset);
  if (!preset) {
    throw new CliError(
      `Experiment "${options.experiment}" has no preset "${options.preset}"; choose one of ${experiment.presets.map((p) => p.name).join(', ')}.`,
    );
  }
  // Each length option belongs to one kind of experiment; a mismatch is a mistake worth naming.
  for (const [option, field] of [
    ['--epochs', 'epochs'],
    ['--steps', 'steps'],
    ['--dataset', 'dataset'],
    ['--estimator', 'estimator'],
    ['--batch-size', 'batchSize'],
    ['--conv-padding', 'convPadding'],
    ['--eval-draws', 'evalDraws'],
    ['--workers', 'workers'],
    ['--validation-fraction', 'validationFraction'],
  ] as const) {
    if (options[field] !== undefined && !(field in preset.config)) {
      throw new CliError(`Experiment "${options.experiment}" has no ${field}, so ${option} does not apply to it.`);
    }
  }
  const overrides = {
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    ...(options.steps !== undefined ? { steps: options.steps } : {}),
    ...(options.dataset !== undefined ? { dataset: options.dataset } : {}),
    ...(options.estimator !== undefined ? { estimator: options.estimator } : {}),
    ...(options.prior !== undefined ? { prior: { kind: options.prior } } : {}),
    ...(options.kl !== undefined ? { kl: options.kl } : {}),
    // A prior without a closed-form KL (the scale mixture) gets the Monte Carlo KL unless told otherwise.
    ...(options.prior !== undefined && options.kl === undefined && defaultKlForm(options.prior) === 'monteCarlo'
      ? { kl: 'monteCarlo' }
      : {}),
    ...(options.klWeight !== undefined ? { klWeight: options.klWeight } : {}),
    ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.convPadding !== undefined ? { convPadding: options.convPadding } : {}),
    ...(options.evalDraws !== undefined ? { evalDraws: options.evalDraws } : {}),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    // The CLI's names (mc-dropout) map to the registry's ids; an unknown name is refused with the list.
    ...(options.method !== undefined ? { method: methodFromCliName(options.method).id } : {}),
    ...(options.members !== undefined ? { members: options.members } : {}),
    ...(options.dropout !== undefined ? { dropout: options.dropout } : {}),
    ...(options.weightDecay !== undefined ? { weightDecay: options.weightDecay } : {}),
    ...(options.validationFraction !== undefined ? { validationFraction: options.validationFraction } : {}),
    backend: options.backend,
  };
  const parsed = runConfigSchema.safeParse({ ...(preset.config as object), ...overrides });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    // The method registry's messages are whole sentences that end with a full stop already.
    throw new CliError(`The configuration is not valid: ${issues}${issues.endsWith('.') ? '' : '.'}`);
  }
  return parsed.data;
}

async function train(options: TrainOptions): Promise<number> {
  let config: RunConfig;
  try {
    config = buildConfig(options);
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    return 2;
  }
  // Training writes the runs folder: it takes the folder's lock or stops with the owner's name.
  let services: Awaited<ReturnType<typeof openHostServices>>;
  try {
    services = await openHostServices({
      runsDir: options.runsDir,
      shell: 'test',
      access: 'owner',
      processName: 'the train command',
      warn: (message) => console.error(`Warning: ${message}`),
      ...(options.checkpointEvery !== undefined
        ? { checkpointIntervalMs: Math.max(1, Math.round(options.checkpointEvery * 1000)) }
        : {}),
    });
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    return 1;
  }
  const { runManager } = services;
  const started = performance.now();
  let runId: string | undefined;
  const progress = new ProgressReporter(process.stderr);
  let stopRequested = false;
  const onInterrupt = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    progress.message('Stopping at the next step (press Ctrl-C again to quit at once)…');
    if (runId) void runManager.stopRun(runId);
  };
  try {
    const record = await runManager.startRun({ config });
    runId = record.id;
    const runDir = path.join(runManager.runsDir, record.id);
    progress.message(
      `Run ${record.id}: ${config.experiment}, preset ${config.preset}, seed ${config.seed}, ${record.totalSteps} steps → ${runDir}`,
    );
    const unsubscribe = runManager.subscribe((event) => {
      if (event.runId === record.id) progress.onEvent(event);
    });
    process.on('SIGINT', onInterrupt);
    process.on('SIGTERM', onInterrupt);
    const final = await runManager.waitForRun(record.id);
    unsubscribe();
    progress.finish();
    const wallSeconds = (performance.now() - started) / 1000;
    // Written before the summary, so --json's last stdout line stays the results object;
    // reading the events through the manager first flushes its buffered tail to events.ndjson.
    if (options.report || options.csv) {
      await runManager.getRunEvents(record.id);
      await writeRunOutputs(runDir, [], {
        report: options.report,
        csv: options.csv,
        density: options.density,
        size: options.size,
      });
    }
    printSummary(final, runDir, wallSeconds, options.json === true);
    return final.state === 'completed' ? 0 : final.state === 'stopped' ? 130 : 1;
  } catch (error) {
    progress.finish();
    console.error(`Error: ${(error as Error).message}`);
    return 1;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    await runManager.close();
  }
}

function printSummary(record: RunRecord, runDir: string, wallSeconds: number, json: boolean): void {
  const summary: Record<string, unknown> = record.summary ?? {};
  const descriptor = descriptorOf(record.config);
  const figure = (key: string, digits = 3) =>
    typeof summary[key] === 'number' ? (summary[key] as number).toFixed(digits) : 'n/a';
  const lines = [
    `${record.state === 'completed' ? 'Completed' : `Ended ${record.state}`}: ${record.id} (${record.step}/${record.totalSteps} steps, ${wallSeconds.toFixed(1)} s)`,
    record.backend ? `  backend        ${record.backend.name} — ${record.backend.device}` : '',
    ...(record.backend?.skipped ?? []).map((skip) => `    skipped ${skip.name}: ${skip.reason}`),
    record.state !== 'completed' && record.message ? `  message        ${record.message}` : '',
    ...(descriptor.acceptance
      ? descriptor.acceptance.map(
          (criterion) =>
            `  ${criterion.summaryKey.padEnd(14)} ${figure(criterion.summaryKey, criterion.digits)}   (${criterion.reason ? `${criterion.reason}: ` : ''}${criterion.comparison} ${criterion.value})`,
        )
      : Object.keys(summary)
          .filter((key) => typeof summary[key] === 'number')
          .map((key) => `  ${key.padEnd(14)} ${figure(key, 4)}`)),
    `  run folder     ${runDir}`,
  ].filter(Boolean);
  const print = record.state === 'failed' ? console.error : console.log;
  for (const line of lines) print(line);
  if (json) {
    const { config } = record;
    const result = {
      ...summary,
      runId: record.id,
      state: record.state,
      experiment: config.experiment,
      preset: config.preset,
      seed: config.seed,
      ...(descriptor.lengthField === 'epochs'
        ? { epochs: typeof summary.epochs === 'number' ? summary.epochs : record.step }
        : { steps: record.step }),
      backend: record.backend?.name ?? null,
      device: record.backend?.device ?? null,
      method: summary.method ?? config.method,
      stdRatio: summary.stdRatio ?? null,
      rmseInside: summary.rmseInside ?? null,
      coverageInside: summary.coverageInside ?? null,
      wallSeconds: Number(wallSeconds.toFixed(3)),
      runDir,
      ...(record.state !== 'completed' && record.message ? { message: record.message } : {}),
    };
    console.log(JSON.stringify(result));
  }
}

/** A redrawn bar with ETA on a terminal; otherwise one line per 10 % (logs stay readable). */
class ProgressReporter {
  private lastDecile = -1;
  private barShown = false;
  private latestHeldout = '';

  constructor(private readonly stream: NodeJS.WriteStream) {}

  message(text: string): void {
    this.clearBar();
    this.stream.write(`${text}\n`);
  }

  onEvent(event: RunEvent): void {
    if (event.type === 'heldout') {
      this.latestHeldout = ` · held-out nats ${event.heldoutNats.toFixed(4)}, accuracy ${(event.accuracy * 100).toFixed(2)} %`;
      if (!this.stream.isTTY) this.message(`step ${event.step}${this.latestHeldout}, ECE ${event.ece.toFixed(4)}`);
    }
    if (event.type === 'progress') this.onProgress(event);
    else if (event.type === 'status' && event.message && event.state !== 'queued') this.message(event.message);
    else if (event.type === 'status' && event.state === 'queued') this.message(event.message ?? 'Queued.');
  }

  finish(): void {
    this.clearBar();
  }

  private onProgress(event: ProgressEvent): void {
    const fraction = Math.min(1, event.step / event.total);
    const rate = `${event.stepsPerSecond.toFixed(1)} steps/s`;
    if (this.stream.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${event.step}/${event.total} · ${rate} · ETA ${formatSeconds(event.etaSeconds)}${this.latestHeldout}`;
      this.stream.write(`\r${bar}\x1b[K`);
      this.barShown = true;
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.stream.write(
        `${(decile * 10).toString().padStart(3)}% ${event.step}/${event.total} · ${rate} · ETA ${formatSeconds(event.etaSeconds)}\n`,
      );
    }
  }

  private clearBar(): void {
    if (this.barShown) this.stream.write('\r\x1b[K');
    this.barShown = false;
  }
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.round(seconds);
  return whole >= 60 ? `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}

registerReportCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});

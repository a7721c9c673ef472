/**
 * `npm run evaluate -- shift --run RUNDIR [--draws T] [--json]`: the run's dataset-shift evaluation
 * (electron/host/shiftService.ts), stored as shift.json in the run folder; progress on stderr, and
 * with --json one JSON object on stdout whose `rotation`, `roll` and `translation` are the scores in
 * increasing shift and whose `ood` holds the AUROC per set and score.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  SHIFT_DEFAULT_DRAWS,
  SHIFT_MAX_DRAWS,
  type ShiftEvaluation,
  type ShiftLevelScores,
} from '../../core/contract/shift';
import { describePasses } from '../../core/methods/index';
import { openServicesToEvaluate, runFolder } from './evaluationServices';

/** The `evaluate` command group, shared with other evaluations (whoever registers first creates it). */
export function evaluateCommandGroup(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === 'evaluate') ??
    program.command('evaluate').description("Post-hoc evaluations of a stored run's checkpoint.")
  );
}

export function registerEvaluateShiftCommand(program: Command): void {
  evaluateCommandGroup(program)
    .command('shift')
    .description(
      "Dataset shift (Ovadia et al. 2019): the run's held-out images rotated 0–180° and translated 0–26 px, and OOD sets; stored as shift.json.",
    )
    .requiredOption('--run <dir>', 'the run folder (runs/<id>)')
    .option('--draws <T>', `posterior draws per prediction (1–${SHIFT_MAX_DRAWS})`, parseDraws, SHIFT_DEFAULT_DRAWS)
    .option('--workers <N>', 'threads sharing the posterior draws (1–16; default: the cores, up to 4)', parseWorkers)
    .option('--force', 'compute again even when shift.json is of the current checkpoint')
    .option('--json', 'print one JSON object on stdout')
    .action(async (options: { run: string; draws: number; workers?: number; force?: boolean; json?: boolean }) => {
      process.exitCode = await evaluateShift(options);
    });
}

function parseWorkers(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1 || number > 16)
    throw new InvalidArgumentError(`"${value}" is not a whole number of workers from 1 to 16.`);
  return number;
}

function parseDraws(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1 || number > SHIFT_MAX_DRAWS)
    throw new InvalidArgumentError(`"${value}" is not a whole number of draws from 1 to ${SHIFT_MAX_DRAWS}.`);
  return number;
}

/** The CLI contract's shape: levels named by their unit, AUROC per OOD set and score. */
export function shiftSummaryJson(evaluation: ShiftEvaluation): Record<string, unknown> {
  const rows = (levels: ShiftLevelScores[], unit: 'degrees' | 'pixels') =>
    levels.map(({ level, accuracy, nll, brier, ece, meanEntropy, meanMutualInformation }) => ({
      [unit]: level,
      accuracy,
      nll,
      brier,
      ece,
      meanEntropy,
      meanMutualInformation,
    }));
  return {
    runId: evaluation.runId,
    checkpointStep: evaluation.checkpointStep,
    draws: evaluation.draws,
    imagesPerSet: evaluation.imagesPerSet,
    backend: evaluation.backend,
    seconds: evaluation.seconds,
    rotation: rows(evaluation.levels.rotation, 'degrees'),
    roll: rows(evaluation.levels.roll, 'pixels'),
    translation: rows(evaluation.levels.translation, 'pixels'),
    ood: Object.fromEntries(evaluation.ood.map((set) => [set.name, set.auroc])),
  };
}

async function evaluateShift(options: {
  run: string;
  draws: number;
  workers?: number;
  force?: boolean;
  json?: boolean;
}): Promise<number> {
  const runDir = runFolder(options.run);
  if (!runDir) return 2;
  const services = await openServicesToEvaluate(runDir, 'the evaluate shift command');
  if (!services) return 2;
  try {
    const evaluation = await services.shift.evaluateShift(path.basename(runDir), {
      draws: options.draws,
      workers: options.workers,
      force: options.force,
      onProgress: (progress) => {
        process.stderr.write(`${progress.done}/${progress.total} ${progress.current}\n`);
      },
    });
    if (options.json) {
      console.log(JSON.stringify(shiftSummaryJson(evaluation)));
      return 0;
    }
    const { method } = (await services.runManager.getRun(evaluation.runId)).config;
    console.log(
      `Run ${evaluation.runId}, checkpoint step ${evaluation.checkpointStep}, ${describePasses(method, evaluation.draws)}, ` +
        `${evaluation.imagesPerSet} images per level, ${evaluation.backend}, ${evaluation.seconds.toFixed(1)} s.`,
    );
    for (const [kind, unit] of [
      ['rotation', '°'],
      ['roll', ' px'],
      ['translation', ' px'],
    ] as const) {
      console.log(`${kind.padEnd(12)}   accuracy      NLL    Brier      ECE  entropy`);
      for (const row of evaluation.levels[kind]) {
        console.log(
          `${`${row.level}${unit}`.padStart(12)} ${(row.accuracy * 100).toFixed(1).padStart(9)} % ${row.nll.toFixed(3).padStart(8)} ` +
            `${row.brier.toFixed(3).padStart(8)} ${row.ece.toFixed(3).padStart(8)} ${row.meanEntropy.toFixed(3).padStart(8)}`,
        );
      }
    }
    console.log(`${'OOD set'.padEnd(24)} AUROC entropy / max-probability / MI`);
    for (const set of evaluation.ood) {
      const mi = set.auroc.mutualInformation === null ? 'n/a' : set.auroc.mutualInformation.toFixed(3);
      console.log(
        `${set.name.padEnd(24)} ${set.auroc.predictiveEntropy.toFixed(3)} / ${set.auroc.maxProbability.toFixed(3)} / ${mi}`,
      );
    }
    return 0;
  } catch (error) {
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    await services.runManager.close();
  }
}

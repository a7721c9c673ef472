/**
 * `npm run classify -- --run RUNDIR [--draws T] [--threshold P] [--json] FILE...`: the same
 * preprocessing and verdicts as the apps' "Unfamiliar images" panel, headless. The files go through
 * the host's OOD service and the training worker, exactly as Electron's dropped paths do. Every file
 * gets a line (with --json, one JSON object per file per line); a file that cannot be classified
 * gets its error and the others are still classified. Exit code 0 when every file was classified,
 * 1 when some could not be, 2 when nothing could be tried (bad options, unknown run).
 */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import {
  OOD_DEFAULT_DRAWS,
  OOD_MAX_DRAWS,
  OOD_MAX_FILES_PER_CALL,
  type ClassifiedImage,
} from '../../core/contract/ood';
import type { OodScoreKindName } from '../../core/contract/ood';
import { DEFAULT_REFUSAL_THRESHOLD } from '../../core/ood/verdict';
import { describePasses } from '../../core/methods/index';
import { openHostServices } from '../host/hostServices';
import { openServicesToEvaluate, runFolder } from './evaluationServices';

interface ClassifyCommandOptions {
  run: string;
  draws: number;
  threshold: number;
  json?: boolean;
}

export function registerClassifyCommand(program: Command): void {
  program
    .command('evaluate-ood')
    .description(
      "Evaluate a LeNet5 run's OOD detection (held-out digits vs Fashion-MNIST, noise, letters) and store it as runs/<id>/ood.json.",
    )
    .requiredOption('--run <dir>', 'the run folder (runs/<id>)')
    .option('--json', 'print the stored evaluation as one JSON line')
    .action(async (options: { run: string; json?: boolean }) => {
      process.exitCode = await evaluateOod(options);
    });

  program
    .command('classify')
    .description(
      "Classify image files with a LeNet5 run's network (its latest checkpoint): prediction, uncertainty and refusal per file.",
    )
    .requiredOption('--run <dir>', 'the run folder (runs/<id>)')
    .option('--draws <T>', `posterior draws (1–${OOD_MAX_DRAWS})`, parseDraws, OOD_DEFAULT_DRAWS)
    .option(
      '--threshold <p>',
      'refuse when no mean class probability reaches this',
      parseProbability,
      DEFAULT_REFUSAL_THRESHOLD,
    )
    .option('--json', 'one JSON object per file per line')
    .argument('<files...>', 'image files (PNG, JPEG, WebP, GIF, TIFF)')
    .action(async (files: string[], options: ClassifyCommandOptions) => {
      process.exitCode = await classify(files, options);
    });
}

function parseDraws(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1 || number > OOD_MAX_DRAWS)
    throw new InvalidArgumentError(`"${value}" is not a whole number of draws from 1 to ${OOD_MAX_DRAWS}.`);
  return number;
}

function parseProbability(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !(number >= 0 && number <= 1))
    throw new InvalidArgumentError(`"${value}" is not a probability between 0 and 1.`);
  return number;
}

async function evaluateOod(options: { run: string; json?: boolean }): Promise<number> {
  const runDir = runFolder(options.run);
  if (!runDir) return 2;
  const services = await openServicesToEvaluate(runDir, 'the evaluate-ood command');
  if (!services) return 2;
  try {
    const evaluation = await services.ood.evaluateOod(path.basename(runDir));
    if (options.json) {
      console.log(JSON.stringify(evaluation));
      return 0;
    }
    const percent = (value: number) => `${(value * 100).toFixed(1)} %`.padStart(8);
    const { method } = (await services.runManager.getRun(evaluation.runId)).config;
    console.log(
      `Run ${evaluation.runId}, checkpoint step ${evaluation.checkpointStep}, ${describePasses(method, evaluation.draws)}, ${evaluation.backend}, ${evaluation.seconds.toFixed(1)} s; ` +
        `held-out accuracy ${percent(evaluation.heldoutAccuracy).trim()}, calibrated threshold ${evaluation.calibratedThreshold.toFixed(3)}.`,
    );
    console.log(
      `${'set'.padEnd(22)} AUROC maxP / entropy / MI   FPR95 maxP / entropy / MI      refused @${evaluation.threshold} / @calibrated`,
    );
    for (const set of evaluation.outOfDistribution) {
      const s: Partial<Record<OodScoreKindName, { auroc: number; fprAt95Tpr: number }>> = set.scores ?? {};
      // Mutual information of a point method is not applicable (ood.json says why): printed as n/a.
      const aurocOf = (kind: OodScoreKindName) => s[kind]?.auroc.toFixed(3) ?? 'n/a';
      const fprOf = (kind: OodScoreKindName) => {
        const score = s[kind];
        return score ? percent(score.fprAt95Tpr) : 'n/a'.padStart(8);
      };
      console.log(
        `${set.name.padEnd(22)} ${aurocOf('maxProbability')} / ${aurocOf('predictiveEntropy')} / ${aurocOf('mutualInformation')}   ` +
          `${fprOf('maxProbability')} /${fprOf('predictiveEntropy')} /${fprOf('mutualInformation')}   ` +
          `${percent(set.refusedAtThreshold)} /${percent(set.refusedAtCalibrated)}`,
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

async function classify(files: string[], options: ClassifyCommandOptions): Promise<number> {
  const runDir = runFolder(options.run);
  if (!runDir) return 2;
  if (files.length > OOD_MAX_FILES_PER_CALL) {
    console.error(`Error: ${files.length} files were given; classify at most ${OOD_MAX_FILES_PER_CALL} at a time.`);
    return 2;
  }
  // Classifying only reads the run: the runs folder is opened read-only (no lock, no recovery of other runs).
  const services = await openHostServices({
    runsDir: path.dirname(runDir),
    shell: 'test',
    access: 'read-only',
    processName: 'the classify command',
    warn: (message) => console.error(`Warning: ${message}`),
  });
  try {
    // The CLI's user named these files on the command line: each is theirs to read.
    const result = await services.ood.classifyFiles(
      path.basename(runDir),
      files,
      { draws: options.draws, threshold: options.threshold },
      () => true,
    );
    if (!options.json) {
      const { method } = (await services.runManager.getRun(result.runId)).config;
      console.error(
        `Run ${result.runId}, checkpoint at step ${result.checkpointStep}, ${describePasses(method, result.draws)}, refusal below ${result.threshold}.`,
      );
    }
    for (const image of result.results) console.log(options.json ? JSON.stringify(jsonLine(image)) : textLine(image));
    return result.results.every((image) => image.ok) ? 0 : 1;
  } catch (error) {
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    await services.runManager.close();
  }
}

function jsonLine(image: ClassifiedImage) {
  if (!image.ok) {
    return {
      file: image.name,
      ok: false,
      error: image.error,
      predicted: null,
      maxProb: null,
      entropy: null,
      expectedEntropy: null,
      mutualInformation: null,
      refused: null,
      probs: null,
    };
  }
  return {
    file: image.name,
    ok: true,
    error: null,
    predicted: image.predictedClass,
    maxProb: image.maxProbability,
    entropy: image.predictiveEntropy,
    expectedEntropy: image.expectedEntropy,
    mutualInformation: image.mutualInformation,
    refused: image.refused,
    inverted: image.inverted,
    probs: image.meanProbabilities,
  };
}

function textLine(image: ClassifiedImage): string {
  if (!image.ok) return `${image.name}: error: ${image.error}`;
  const verdict = image.refused ? 'REFUSED' : `predicted ${image.predictedClass}`;
  return (
    `${image.name}: ${verdict} (max p ${image.maxProbability.toFixed(3)} for ${image.predictedClass}), ` +
    `entropy ${image.predictiveEntropy.toFixed(3)} = aleatoric ${image.expectedEntropy.toFixed(3)} + epistemic (MI) ${image.mutualInformation.toFixed(3)} nats`
  );
}

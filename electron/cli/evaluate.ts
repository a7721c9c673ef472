/**
 * `npm run evaluate -- temperature|laplace --run RUNDIR [--json]`: a post-hoc method applied to a
 * stored run — temperature scaling (Guo et al. 2017) or last-layer Laplace (Daxberger et al. 2021)
 * — fitted on the validation split a classification run held out of training and scored on its
 * held-out set before and after; Laplace on a deterministic regression run is fitted on its
 * training points (exact GGN, δ by marginal likelihood) and its band scored before and after
 * (stdRatio, rmseInside, coverageInside). A classification run's result also separates each of
 * evaluate-ood's reference sets (Fashion-MNIST, noises, letters) from the held-out set before and
 * after (`ood`: AUROC and FPR at 95 % TPR per score). The combination is checked first (validateMethodCombination:
 * Laplace needs a deterministic run, temperature scaling a classification run), with what would
 * work; the fit runs in a worker thread (electron/worker/posthocWorker.ts), so this process never
 * loads tfjs, and is stored with the run as `posthoc-<method>.json` for the methods table — both
 * through electron/host/posthocService, as the API's fitPosthoc; when another process owns the runs
 * folder the result is printed but not stored.
 * Exit 0 on success, 2 when nothing could be tried.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { methodFromCliName, methods } from '../../core/methods/index';
import type { PosthocOod } from '../../core/methods/posthoc';
import { evaluateCommandGroup } from './evaluateShift';
import { openServicesToEvaluate, runFolder } from './evaluationServices';

const postHocNames = Object.values(methods)
  .filter((method) => method.capabilities.postHoc)
  .map((method) => method.cliName);

/** `evaluate <post-hoc method>`: one subcommand per post-hoc method of the registry, in the shared group. */
export function registerEvaluateCommand(program: Command): void {
  const group = evaluateCommandGroup(program);
  registerEnsembleCommand(group);
  for (const method of postHocNames) {
    group
      .command(method)
      .description(`Apply ${method} to a stored run and score it before and after.`)
      .requiredOption('--run <dir>', 'the run folder (runs/<id>)')
      .option('--json', 'print the result as one JSON line')
      .action(async (options: { run: string; json?: boolean }) => {
        process.exitCode = await evaluate(method, options);
      });
  }
}

/**
 * `evaluate ensemble --runs DIR1 DIR2 … [--name N] [--json]`: a deep ensemble from a seed group of
 * deterministic runs (electron/host/ensembleService), stored as a new run folder beside them; prints
 * the ensemble's held-out scores next to each member's.
 */
function registerEnsembleCommand(group: Command): void {
  group
    .command('ensemble')
    .description(
      'Combine deterministic runs of one configuration (a seed group) into a deep ensemble, stored as a new run.',
    )
    .requiredOption('--runs <dirs...>', 'the member run folders (runs/<id>), all in one runs folder')
    .option('--name <name>', "the new run's name")
    .option('--json', 'print the result as one JSON line')
    .action(async (options: { runs: string[]; name?: string; json?: boolean }) => {
      process.exitCode = await combine(options);
    });
}

async function combine(options: { runs: string[]; name?: string; json?: boolean }): Promise<number> {
  const dirs = options.runs.map((dir) => path.resolve(dir));
  for (const [i, dir] of dirs.entries()) {
    if (!existsSync(path.join(dir, 'run.json'))) {
      console.error(`Error: "${options.runs[i]}" is not a run folder (it has no run.json); pass --runs runs/<id> …`);
      return 2;
    }
  }
  const runsDir = path.dirname(dirs[0]);
  if (dirs.some((dir) => path.dirname(dir) !== runsDir)) {
    console.error('Error: the member runs must be in one runs folder; the ensemble is stored beside them.');
    return 2;
  }
  const services = await openServicesToEvaluate(dirs[0], 'the evaluate ensemble command');
  if (!services) return 2;
  try {
    const memberIds = dirs.map((dir) => path.basename(dir));
    const members = await Promise.all(memberIds.map((id) => services.runManager.getRun(id)));
    const record = await services.ensemble.combineRuns(memberIds, options.name);
    const scores = (summary: Record<string, unknown> | undefined) => ({
      heldoutNats: summary?.heldoutNats ?? null,
      heldoutAccuracy: summary?.heldoutAccuracy ?? null,
      ece: summary?.ece ?? null,
      brier: summary?.brier ?? null,
      aurc: summary?.aurc ?? null,
    });
    const output = {
      runId: record.id,
      runDir: path.join(runsDir, record.id),
      method: 'ensemble',
      members: memberIds,
      ensemble: scores(record.summary),
      memberScores: members.map((member) => ({
        runId: member.id,
        seed: member.config.seed,
        ...scores(member.summary),
      })),
    };
    if (options.json) console.log(JSON.stringify(output));
    else {
      console.log(`Combined ${memberIds.length} runs into ${record.id} (${record.name}).`);
      for (const row of [{ runId: 'ensemble', ...output.ensemble }, ...output.memberScores])
        console.log(
          `  ${String(row.runId).padEnd(36)} nats ${Number(row.heldoutNats).toFixed(4)}  accuracy ${(100 * Number(row.heldoutAccuracy)).toFixed(2)} %  ECE ${Number(row.ece).toFixed(4)}`,
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

async function evaluate(methodName: string, options: { run: string; json?: boolean }): Promise<number> {
  const runDir = runFolder(options.run);
  if (!runDir) return 2;
  const services = await openServicesToEvaluate(runDir, 'the evaluate command', 'owner-or-read-only');
  if (!services) return 2;
  try {
    const method = methodFromCliName(methodName);
    const runId = path.basename(runDir);
    const { result, notStored } = await services.posthoc.fitPosthoc(runId, method.id, {
      readOnlyReason: services.readOnlyReason,
    });
    if (notStored) console.error(`Warning: the ${method.label} fit was not stored with the run: ${notStored}`);
    const output = { runId, ...result };
    if (options.json) console.log(JSON.stringify(output));
    else printResult(output);
    return 0;
  } catch (error) {
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    await services.runManager.close();
  }
}

function printResult(output: Record<string, unknown>): void {
  const before = output.before as Record<string, number | null>;
  const after = output.after as Record<string, number | null>;
  const fitted =
    typeof output.temperature === 'number'
      ? `temperature ${output.temperature.toFixed(4)}`
      : `prior precision ${Number(output.priorPrecision).toPrecision(4)}`;
  console.log(
    `Run ${String(output.runId)}: ${String(output.method)} on a ${String(output.baseMethod)} run, ${fitted}.`,
  );
  console.log('  score            before      after');
  const keys =
    'stdRatio' in before
      ? ['stdRatio', 'rmseInside', 'coverageInside']
      : ['heldoutNats', 'accuracy', 'ece', 'brier', 'aurc'];
  const shown = (value: number | null) => (value === null ? 'none' : value.toFixed(4));
  for (const key of keys) {
    console.log(`  ${key.padEnd(14)} ${shown(before[key]).padStart(8)} ${shown(after[key]).padStart(10)}`);
  }
  const ood = output.ood as PosthocOod | undefined;
  for (const set of ood?.sets ?? []) {
    const auroc = (scores: PosthocOod['sets'][number]['before']) =>
      `entropy ${shown(scores.predictiveEntropy?.auroc ?? null)}, max p ${shown(scores.maxProbability?.auroc ?? null)}`;
    console.log(`  OOD AUROC against ${set.name}: ${auroc(set.before)} → ${auroc(set.after)}`);
  }
}

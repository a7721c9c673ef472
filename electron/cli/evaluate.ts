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
 * loads tfjs. The fit is stored with the run as `posthoc-<method>.json` (electron/host/posthocService)
 * for the methods table; when another process owns the runs folder it is printed but not stored.
 * Exit 0 on success, 2 when nothing could be tried.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { rawMethodOptions } from '../../core/contract/methodConfig';
import { descriptorOf } from '../../core/experiments/registry';
import { methodFromCliName, methods, validateMethodCombination } from '../../core/methods/index';
import { oodReferenceSets } from '../host/oodReferenceSets';
import { posthocFitOf } from '../host/posthocService';
import { spawnWorker } from '../host/trainingWorker';
import type { PosthocOod } from '../../core/methods/posthoc';
import type { PosthocRequest } from '../worker/posthocWorker';
import { evaluateCommandGroup } from './evaluateShift';
import { openServicesToEvaluate, runFolder } from './evaluationServices';

const postHocNames = Object.values(methods)
  .filter((method) => method.capabilities.postHoc)
  .map((method) => method.cliName);

function posthocWorkerUrl(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../worker/posthocWorker.ts', import.meta.url)
    : new URL('./posthocWorker.js', import.meta.url);
}

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

function runInWorker(request: PosthocRequest): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const worker = spawnWorker(posthocWorkerUrl(), request);
    worker.once(
      'message',
      (message: { ok: true; result: Record<string, unknown> } | { ok: false; message: string }) => {
        void worker.terminate();
        if (message.ok) resolve(message.result);
        else reject(new Error(message.message));
      },
    );
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`The evaluation worker stopped unexpectedly (exit code ${code}).`)));
  });
}

async function evaluate(methodName: string, options: { run: string; json?: boolean }): Promise<number> {
  const runDir = runFolder(options.run);
  if (!runDir) return 2;
  const services = await openServicesToEvaluate(runDir, 'the evaluate command', 'owner-or-read-only');
  if (!services) return 2;
  try {
    const method = methodFromCliName(methodName);
    const record = await services.runManager.getRun(path.basename(runDir));
    const { config } = record;
    const taskKind = descriptorOf(config).task.kind;
    const combination = validateMethodCombination({ method: method.id, taskKind, baseMethod: config.method });
    if (!combination.ok) throw new Error(combination.message);
    let request: PosthocRequest;
    if (taskKind === 'regression') {
      // validateMethodCombination let only Laplace on a deterministic run through to here.
      request = {
        runDir,
        taskKind,
        config: config as Extract<PosthocRequest, { taskKind: 'regression' }>['config'],
        method: 'laplace',
        options: combination.options,
      };
    } else {
      // The post-hoc fits take a run of images (validation split, held-out set, evaluation passes).
      if (!('evalDraws' in config)) {
        throw new Error(
          `Run "${record.id}" is not a classification run of images; ${method.label} has nothing to rescale.`,
        );
      }
      // evaluate-ood's reference sets, so the post-hoc predictive's OOD scores compare with the trained methods'
      // (Fashion-MNIST is not out of distribution for a run trained on it).
      const { sets, skipped } = await oodReferenceSets();
      for (const reason of skipped) console.error(`Warning: the OOD scores leave out ${reason}.`);
      request = {
        runDir,
        taskKind: 'classification',
        config,
        method: method.id as 'temperatureScaling' | 'laplace',
        options: combination.options,
        oodSets: sets
          .filter((set) => !(config.dataset === 'fashion-mnist' && set.name === 'Fashion-MNIST'))
          .map((set) => ({ name: set.name, count: set.count, images: set.images })),
      };
    }
    const started = performance.now();
    const result = await runInWorker(request);
    const fit = posthocFitOf(result, {
      runId: record.id,
      method: method.id,
      baseMethod: config.method,
      taskKind,
      createdAt: new Date().toISOString(),
      seconds: (performance.now() - started) / 1000,
    });
    if (services.readOnlyReason)
      console.error(`Warning: the ${method.label} fit was not stored with the run: ${services.readOnlyReason}`);
    else await services.posthoc.storeFit(fit);
    const output = { runId: record.id, ...result, baseOptions: rawMethodOptions(config) };
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

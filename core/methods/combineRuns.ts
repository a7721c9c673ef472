/**
 * A deep ensemble made after the fact from a seed group of deterministic runs (Lakshminarayanan et
 * al. 2017: M independently initialised networks, the predictive their uniform mixture). Pure: it
 * checks that the runs can be combined — at least 2, all deterministic classification runs of one
 * configuration but for the seed, each with a checkpoint — and says what would work when they
 * cannot; it names the combined run's configuration (method ensemble, M members) and its
 * checkpoint's variables (member m's `conv1/kernel` becomes `member{m}/conv1/kernel`, the names a
 * trained ensemble's checkpoint uses, so every reader of ensemble runs reads it unchanged).
 */
import { runConfigSchema, type RunConfig } from '../contract/runConfig';
import { descriptorOf } from '../experiments/registry';
import { flattenConfig } from '../figures/configDiff';
import type { NamedValues, TrainingCheckpoint } from '../training/checkpoint';
import { methods, type MethodId } from './index';

export class CombineRunsError extends Error {
  override name = 'CombineRunsError';
}

/** What the check needs of a stored run (a RunRecord has it). */
export interface CombinableRun {
  id: string;
  name: string;
  config: RunConfig;
  checkpointStep?: number;
}

export interface CombinedEnsemblePlan {
  config: RunConfig;
  name: string;
  memberIds: string[];
}

/** Settings that may differ between the seeds of one configuration. */
const seedOnly = new Set(['seed', 'preset']);

export function planCombinedEnsemble(runs: readonly CombinableRun[], name?: string): CombinedEnsemblePlan {
  if (runs.length < 2) {
    throw new CombineRunsError(
      `An ensemble needs at least 2 member runs (found ${runs.length}); a single run is already the deterministic method. ` +
        'Select 2 or more deterministic runs of one configuration (a seed group) to combine.',
    );
  }
  const ids = runs.map((run) => run.id);
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated) throw new CombineRunsError(`Run "${repeated}" is named twice; each member must be a different run.`);
  for (const run of runs) {
    const method = (run.config as { method?: MethodId }).method ?? 'vi';
    if (method !== 'deterministic') {
      throw new CombineRunsError(
        `Run "${run.name}" was trained with ${methods[method].label}; only deterministic runs are combined into a deep ensemble ` +
          '(each member is one set of point weights). Train deterministic runs of several seeds, or train with the deep-ensemble method.',
      );
    }
    const kind = descriptorOf(run.config).task.kind;
    if (kind !== 'classification') {
      throw new CombineRunsError(
        `Run "${run.name}" is a ${kind} run; combining runs is built for classification, where members share the output. ` +
          'For regression, train with the deep-ensemble method, whose members each predict a mean and a variance.',
      );
    }
    if (run.checkpointStep === undefined) {
      throw new CombineRunsError(
        `Run "${run.name}" has no checkpoint yet; let it train to its first evaluation first.`,
      );
    }
  }
  const flat = runs.map((run) => flattenConfig(run.config));
  for (let r = 1; r < runs.length; r += 1) {
    const keys = new Set([...Object.keys(flat[0]), ...Object.keys(flat[r])]);
    const differing = [...keys].filter(
      (key) => !seedOnly.has(key) && JSON.stringify(flat[0][key]) !== JSON.stringify(flat[r][key]),
    );
    if (differing.length > 0) {
      throw new CombineRunsError(
        `Runs "${runs[0].name}" and "${runs[r].name}" differ in ${differing.slice(0, 5).join(', ')}; an ensemble combines seeds of ` +
          'one configuration. Select runs whose settings differ only in the seed.',
      );
    }
  }
  const first = runs[0].config;
  const config = runConfigSchema.parse({ ...first, method: 'ensemble', members: runs.length });
  const seeds = runs.map((run) => run.config.seed).join(', ');
  return {
    config,
    name: name?.trim() || `${first.experiment} · deep ensemble of ${runs.length} deterministic runs (seeds ${seeds})`,
    memberIds: [...ids],
  };
}

/** Member m's variable under the name a trained ensemble gives it (`member2/conv1/kernel`). */
export function memberVariableName(member: number, name: string): string {
  return `member${member + 1}/${name}`;
}

/**
 * The combined run's checkpoint: every member's variables under its member name, at the members'
 * last step. It holds no optimizer state: the combined run is finished and is never trained on.
 */
export function combinedCheckpoint(members: readonly TrainingCheckpoint[]): TrainingCheckpoint {
  if (members.length < 2)
    throw new CombineRunsError(`An ensemble needs at least 2 member checkpoints (found ${members.length}).`);
  const variables: NamedValues[] = members.flatMap((checkpoint, member) =>
    checkpoint.variables.map((entry) => {
      if (entry.name.startsWith('member'))
        throw new CombineRunsError(
          `Variable "${entry.name}" is already an ensemble member's; combine deterministic runs only.`,
        );
      return { ...entry, name: memberVariableName(member, entry.name) };
    }),
  );
  return {
    experiment: members[0].experiment,
    step: Math.max(...members.map((checkpoint) => checkpoint.step)),
    seedStreams: {},
    batchesDrawn: 0,
    variables,
    optimizer: { ...members[0].optimizer, firstMoments: [], secondMoments: [] },
  };
}

/**
 * Taking and restoring a TrainingCheckpoint from live tfjs objects: the network's trainable
 * variables (named without tfjs's process-unique suffix, so another process can match them), the
 * Adam optimizer's moments and step count, and the positions of the run's seed streams.
 *
 * With all of these restored (and the data sampler advanced past the batches drawn), a resumed
 * run on the same backend repeats the numbers of an uninterrupted one exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { stableVariableName } from '../engine/variables';
import type { ExperimentHooks } from '../experiments/trainer';
import type { SeedStream } from '../random/seedStream';
import { CheckpointError, type NamedValues, type TrainingCheckpoint } from './checkpoint';

export interface TrainingStateParts {
  experiment: string;
  /** The variables the optimizer trains, in the order given to `minimize`. */
  variables: tf.Variable[];
  optimizer: tf.AdamOptimizer;
  /** Every seed stream training and evaluation draw from, by a name that stays the same. */
  seedStreams: Record<string, SeedStream>;
}

/** tfjs keeps β^(t+1) in private variables; reading them is what makes the continuation exact. */
type AdamInternals = {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
  /** The moments' variables (tfjs AdamOptimizer internals), once it has made them. */
  accumulatedFirstMoment?: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment?: ({ originalName: string; variable: tf.Variable } | undefined)[];
  iterations_?: number;
};
type NamedTensor = Parameters<tf.Optimizer['setWeights']>[0][number];

function stableNames(variables: tf.Variable[]): Map<string, string> {
  const names = new Map<string, string>();
  const seen = new Set<string>();
  for (const variable of variables) {
    const stable = stableVariableName(variable.name);
    if (seen.has(stable))
      throw new CheckpointError(
        `Two trainable variables are both named "${stable}"; a checkpoint needs distinct names.`,
      );
    seen.add(stable);
    names.set(variable.name, stable);
  }
  return names;
}

async function scalarValue(variable: tf.Variable | undefined): Promise<number | undefined> {
  return variable ? (await variable.data())[0] : undefined;
}

/** The state after `step` steps; `batchesDrawn` is the data sampler's count (full batch: the step). */
export async function captureTrainingState(
  parts: TrainingStateParts,
  step: number,
  batchesDrawn: number,
): Promise<TrainingCheckpoint> {
  const names = stableNames(parts.variables);
  const valuesOf = async (name: string, tensor: tf.Tensor): Promise<NamedValues> => ({
    name,
    shape: [...tensor.shape],
    // A copy: on the cpu backend data() hands out the live buffer, which the next step overwrites.
    values: new Float32Array(await tensor.data<'float32'>()),
  });
  const variables = await Promise.all(parts.variables.map((variable) => valuesOf(names.get(variable.name)!, variable)));

  const [iterations, ...moments] = await parts.optimizer.getWeights();
  const iterationCount = (await iterations.tensor.data())[0];
  iterations.tensor.dispose(); // a fresh scalar; the moments are the optimizer's own variables
  const firstMoments: NamedValues[] = [];
  const secondMoments: NamedValues[] = [];
  for (const moment of moments) {
    const match = /^(.*)\/([mv])$/.exec(moment.name);
    const stable = match ? names.get(match[1]) : undefined;
    if (!match || !stable) {
      throw new CheckpointError(
        `The optimizer holds a moment "${moment.name}" of no variable being trained; the checkpoint cannot name it.`,
      );
    }
    (match[2] === 'm' ? firstMoments : secondMoments).push(await valuesOf(stable, moment.tensor));
  }
  const internals = parts.optimizer as unknown as AdamInternals;
  return {
    experiment: parts.experiment,
    step,
    seedStreams: Object.fromEntries(Object.entries(parts.seedStreams).map(([name, stream]) => [name, stream.position])),
    batchesDrawn,
    variables,
    optimizer: {
      kind: 'adam',
      iterations: iterationCount,
      accBeta1: await scalarValue(internals.accBeta1),
      accBeta2: await scalarValue(internals.accBeta2),
      firstMoments,
      secondMoments,
    },
  };
}

/** Puts a checkpoint's state into freshly built parts (same configuration); throws CheckpointError on any mismatch. */
export async function restoreTrainingState(checkpoint: TrainingCheckpoint, parts: TrainingStateParts): Promise<void> {
  if (checkpoint.experiment !== parts.experiment) {
    throw new CheckpointError(
      `The checkpoint is of a "${checkpoint.experiment}" run; it cannot resume a "${parts.experiment}" run.`,
    );
  }
  const names = stableNames(parts.variables);
  const variableByStable = new Map(parts.variables.map((variable) => [names.get(variable.name)!, variable]));
  const stored = new Map(checkpoint.variables.map((entry) => [entry.name, entry]));
  for (const name of stored.keys()) {
    if (!variableByStable.has(name))
      throw new CheckpointError(
        `The checkpoint holds a variable "${name}" this network does not have; was the run's configuration changed?`,
      );
  }
  const checkShape = (entry: NamedValues, variable: tf.Variable) => {
    if (entry.shape.join('×') !== variable.shape.join('×')) {
      throw new CheckpointError(
        `Checkpoint variable "${entry.name}" has shape [${entry.shape}]; the network's has [${variable.shape}].`,
      );
    }
  };
  for (const [name, variable] of variableByStable) {
    const entry = stored.get(name);
    if (!entry) throw new CheckpointError(`The checkpoint has no values for variable "${name}".`);
    checkShape(entry, variable);
    const value = tf.tensor(entry.values, entry.shape, 'float32');
    variable.assign(value);
    value.dispose();
  }

  const { optimizer } = checkpoint;
  const momentsOf = (entries: NamedValues[]): Map<tf.Variable, Float32Array> =>
    new Map(
      entries.map((entry) => {
        const variable = variableByStable.get(entry.name);
        if (!variable)
          throw new CheckpointError(
            `The checkpoint holds an optimizer moment of "${entry.name}", which this network does not have.`,
          );
        checkShape(entry, variable);
        return [variable, entry.values];
      }),
    );
  await writeAdamState(parts.optimizer, {
    iterations: optimizer.iterations,
    accBeta1: optimizer.accBeta1,
    accBeta2: optimizer.accBeta2,
    firstMoments: momentsOf(optimizer.firstMoments),
    secondMoments: momentsOf(optimizer.secondMoments),
  });

  for (const [name, stream] of Object.entries(parts.seedStreams)) {
    const position = checkpoint.seedStreams[name];
    if (position === undefined)
      throw new CheckpointError(`The checkpoint has no position for the "${name}" seed stream.`);
    stream.seek(position);
  }
}

/** Adam's state by variable: what a checkpoint stores of it, and what data-parallel training keeps in shared memory. */
export interface AdamState {
  iterations: number;
  /** β1^(t+1) and β2^(t+1), float32; undefined leaves tfjs's own. */
  accBeta1?: number;
  accBeta2?: number;
  firstMoments: Map<tf.Variable, Float32Array>;
  secondMoments: Map<tf.Variable, Float32Array>;
}

/**
 * Sets an Adam optimizer's step count, β powers and moments. Moments it already holds are written in
 * place (tfjs's setWeights would make new variables and leave the old ones allocated); otherwise
 * setWeights makes them.
 */
export async function writeAdamState(optimizer: tf.AdamOptimizer, state: AdamState): Promise<void> {
  const internals = optimizer as unknown as AdamInternals;
  const named = (moments: Map<tf.Variable, Float32Array>, suffix: 'm' | 'v') =>
    [...moments].map(([variable, values]) => ({ name: `${variable.name}/${suffix}`, variable, values }));
  const moments = [...named(state.firstMoments, 'm'), ...named(state.secondMoments, 'v')];
  const held = new Map(
    [...(internals.accumulatedFirstMoment ?? []), ...(internals.accumulatedSecondMoment ?? [])]
      .filter((entry) => entry !== undefined)
      .map((entry) => [entry.originalName, entry.variable]),
  );
  if (internals.iterations_ !== undefined && moments.every((moment) => held.has(moment.name))) {
    for (const moment of moments) {
      const value = tf.tensor(moment.values, moment.variable.shape, 'float32');
      held.get(moment.name)!.assign(value);
      value.dispose();
    }
    internals.iterations_ = state.iterations;
  } else {
    const weights: NamedTensor[] = [
      { name: 'iter', tensor: tf.scalar(state.iterations, 'int32') },
      ...moments.map((moment) => ({
        name: moment.name,
        tensor: tf.tensor(moment.values, moment.variable.shape, 'float32'),
      })),
    ];
    try {
      await optimizer.setWeights(weights);
    } finally {
      // setWeights makes variables sharing these tensors' data; the tensors themselves go.
      for (const weight of weights) weight.tensor.dispose();
    }
  }
  for (const [variable, value] of [
    [internals.accBeta1, state.accBeta1],
    [internals.accBeta2, state.accBeta2],
  ] as const) {
    if (variable && value !== undefined) {
      const scalar = tf.scalar(value);
      variable.assign(scalar);
      scalar.dispose();
    }
  }
}

/** An Adam optimizer's state for `variables` (zero moments for a variable it has not updated yet). */
export async function readAdamState(
  optimizer: tf.AdamOptimizer,
  variables: tf.Variable[],
): Promise<Required<AdamState>> {
  const [iterations, ...moments] = await optimizer.getWeights();
  const iterationCount = (await iterations.tensor.data())[0];
  iterations.tensor.dispose();
  const byName = new Map(moments.map((moment) => [moment.name, moment.tensor]));
  const momentsOf = async (suffix: 'm' | 'v') =>
    new Map(
      await Promise.all(
        variables.map(async (variable) => {
          const tensor = byName.get(`${variable.name}/${suffix}`);
          const values = tensor ? new Float32Array(await tensor.data<'float32'>()) : new Float32Array(variable.size);
          return [variable, values] as const;
        }),
      ),
    );
  const internals = optimizer as unknown as AdamInternals;
  const hyper = optimizer as unknown as { beta1: number; beta2: number };
  return {
    iterations: iterationCount,
    accBeta1: (await scalarValue(internals.accBeta1)) ?? Math.fround(hyper.beta1),
    accBeta2: (await scalarValue(internals.accBeta2)) ?? Math.fround(hyper.beta2),
    firstMoments: await momentsOf('m'),
    secondMoments: await momentsOf('v'),
  };
}

/**
 * The checkpoint hook of a full-batch run: one batch per step, so the data order needs no position
 * of its own (batches drawn = steps done).
 */
export function fullBatchCheckpointing(
  parts: TrainingStateParts,
  hooks: Pick<ExperimentHooks, 'checkpoint'>,
): (step: number) => Promise<void> {
  return async (step) => {
    if (hooks.checkpoint) await hooks.checkpoint(await captureTrainingState(parts, step, step));
  };
}

/**
 * What a full-batch 1-D regression run costs (the sinusoid, the cubic; see ./resourceBudget.ts).
 * The model follows the code (core/training/regressionTrainer.ts):
 *
 * - Training: K = samplesPerStep whole-network draws in one batched pass over the training points. With
 *   the reparameterization estimator every draw samples every weight, so each layer holds K copies
 *   of its weight matrix several times over (ε, σ·ε, w and their gradients; the Monte Carlo KL adds
 *   log q and log p); the local estimator samples activations instead (K × 32 rows).
 * - Evaluation: the predictive band runs draws in chunks of 50 over the whole grid, forward only.
 * - Events: a `regression` event of four gridPoints-long arrays every evalEvery epochs.
 */
import type { KlForm } from '../priors/kinds/index';
import { FLOAT_BYTES, JSON_NUMBER_BYTES, STEP_EVENT_BYTES, type ResourceEstimate } from './resourceBudget';

/** The settings of a regression configuration that its cost depends on. */
export interface RegressionBudgetConfig {
  hiddenUnits: readonly number[];
  samplesPerStep: number;
  estimator: string;
  kl: KlForm;
  predictiveDraws: number;
  gridPoints: number;
  epochs: number;
  evalEvery: number;
}

/** Draws per chunk of the predictive band (core/experiments/sinusoid/predictive.ts). */
const PREDICTIVE_CHUNK = 50;
/** Live copies of each sampled weight tensor in a training step (forward + backward). */
const SAMPLED_WEIGHT_COPIES = 6;
const MONTE_CARLO_KL_COPIES = 3;
/** Live copies of each activation in a training step (pre-activation, output, their gradients). */
const ACTIVATION_COPIES = 4;
/** Live copies in a forward-only evaluation pass. */
const EVALUATION_COPIES = 3;

export function regressionBudget(config: RegressionBudgetConfig, trainingPoints: number): ResourceEstimate {
  const widths = [1, ...config.hiddenUnits, 1];
  const layers = widths.slice(1).map((units, i) => ({ inputs: widths[i], units }));
  const parameters = layers.reduce((sum, layer) => sum + layer.inputs * layer.units + layer.units, 0);
  const activations = layers.reduce((sum, layer) => sum + layer.units, 0);
  const samples = config.samplesPerStep;

  const weightCopies = SAMPLED_WEIGHT_COPIES + (config.kl === 'monteCarlo' ? MONTE_CARLO_KL_COPIES : 0);
  const sampledWeights = config.estimator === 'local' ? parameters * 4 : samples * parameters * weightCopies;
  const trainingBytes = (sampledWeights + samples * trainingPoints * activations * ACTIVATION_COPIES) * FLOAT_BYTES;

  const chunk = Math.min(PREDICTIVE_CHUNK, config.predictiveDraws);
  const evaluationBytes = chunk * (parameters + config.gridPoints * activations) * EVALUATION_COPIES * FLOAT_BYTES;

  const hidden = config.hiddenUnits.every((units) => units === config.hiddenUnits[0])
    ? `${config.hiddenUnits.length}×${config.hiddenUnits[0]}`
    : config.hiddenUnits.join(', ');
  const memory =
    trainingBytes >= evaluationBytes
      ? {
          bytes: trainingBytes,
          what: `one training step (hidden units ${hidden}, ${samples} samples per step)`,
          hint: 'Lower samplesPerStep or hiddenUnits.',
        }
      : {
          bytes: evaluationBytes,
          what: `one chunk of the predictive band (hidden units ${hidden}, ${config.gridPoints} grid points, ${chunk} draws at a time)`,
          hint: 'Lower gridPoints or hiddenUnits.',
        };

  const regressionEventBytes = (4 * config.gridPoints + 2 * trainingPoints) * JSON_NUMBER_BYTES;
  const evaluations = Math.ceil(config.epochs / config.evalEvery) + 1;
  const bytesPerStep = STEP_EVENT_BYTES + regressionEventBytes / config.evalEvery;
  return {
    memory,
    events: {
      bytesPerStep,
      totalBytes: STEP_EVENT_BYTES * config.epochs + regressionEventBytes * evaluations,
      what: `a ${config.gridPoints}-point predictive band every ${config.evalEvery} epoch${config.evalEvery === 1 ? '' : 's'}`,
      hint: 'Raise evalEvery or lower gridPoints.',
    },
  };
}

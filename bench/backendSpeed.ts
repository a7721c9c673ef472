/**
 * Training speed of ONE backend as the worker selects it (electron/worker/backend.ts, so `webgpu`
 * goes through the same adapter checks), for the per-backend table of `npm run bench`: Bayesian
 * LeNet5 Flipout steps/s at batch 128, the same at batch 16, and sinusoid steps/s with the default
 * preset (8 weight samples of 32 points), each timed on the experiment's own training loop.
 * Prints one JSON object.
 *
 *   npx tsx bench/backendSpeed.ts --backend cpu|wasm|webgpu [--steps 10]
 *
 * webgpu on a software adapter (llvmpipe) is forced here (`--backend webgpu`): `auto` would skip it.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  backendChoiceSchema,
  lenet5ConfigSchema,
  sinusoidConfigSchema,
  type BackendChoice,
  type RunConfig,
} from '../core/contract/runConfig';
import type { ExperimentEvent } from '../core/contract/runEvent';
import { experimentTrainers } from '../core/experiments/trainers';
import { sinusoidPresets } from '../core/experiments/sinusoid/presets';
import { selectBackend } from '../electron/worker/backend';
import { workerEnvironment } from '../electron/worker/datasetFiles';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : fallback;
};
const choice: BackendChoice = backendChoiceSchema.parse(option('backend', 'wasm'));
const timedSteps = Number(option('steps', '10'));
const WARMUP_STEPS = 2;

const backend = await selectBackend(choice);

/**
 * Median ms per optimizer step of a real training run of `config` (the experiment's own code, as
 * the worker runs it), from the times its metrics events arrive, after the warm-up steps (shader
 * compilation on webgpu). The run is stopped before its final evaluation.
 */
async function medianStepMs(config: RunConfig): Promise<number> {
  const arrivals: number[] = [];
  let step = 0;
  await experimentTrainers[config.experiment].run(
    config,
    {
      emit: (event: ExperimentEvent) => {
        if (event.type !== 'metrics') return;
        step = event.step;
        arrivals.push(performance.now());
      },
      shouldStop: () => step >= WARMUP_STEPS + timedSteps,
    },
    workerEnvironment,
  );
  const times = arrivals.slice(WARMUP_STEPS).map((time, index) => time - arrivals[WARMUP_STEPS + index - 1]);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

// Long enough that the stop comes first: no evaluation is timed.
const lenet5 = (batchSize: number) =>
  lenet5ConfigSchema.parse({ experiment: 'lenet5', estimator: 'flipout', steps: 1000, batchSize, seed: 0 });
const sinusoid = sinusoidConfigSchema.parse({ ...sinusoidPresets[0].config, epochs: 1000 });

const round = (value: number) => Number(value.toFixed(3));
const perSecond = (ms: number) => ({ msPerStep: round(ms), stepsPerSecond: round(1000 / ms) });
const tensorsAtStart = tf.memory().numTensors;
const results = {
  backend: backend.name,
  device: backend.device,
  ...(backend.adapter ? { adapter: backend.adapter } : {}),
  timedSteps,
  lenet5FlipoutBatch128: perSecond(await medianStepMs(lenet5(128))),
  lenet5FlipoutBatch16: perSecond(await medianStepMs(lenet5(16))),
  sinusoidDefaultPreset: perSecond(await medianStepMs(sinusoid)),
  tensorCount: { atStart: tensorsAtStart, atEnd: tf.memory().numTensors },
};
console.log(JSON.stringify(results));
// Dawn keeps the process alive while its instance is referenced; the measurement is complete.
process.exit(0);

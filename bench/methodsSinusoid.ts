/**
 * The sinusoid with every method, seeds 0–2 (issue 11's acceptance numbers): mean-field VI (the
 * default preset), the deterministic net, MC dropout, a 5-member deep ensemble, and last-layer
 * Laplace fitted on each deterministic run (exact GGN, δ by marginal likelihood). Each run is the
 * default preset (1500 full-batch epochs, Adam 0.03) with only the method changed, its band
 * evaluated once at the end; the figures of merit are that band's. Prints one JSON object.
 *
 *   npx tsx bench/methodsSinusoid.ts [--backend wasm|cpu] [--seeds 0,1,2] [--methods vi,deterministic,mcDropout,ensemble]
 */
import { sinusoidConfigSchema, type SinusoidConfig } from '../core/experiments/sinusoid/config';
import { sinusoidPresets } from '../core/experiments/sinusoid/presets';
import { sinusoidTrainer } from '../core/experiments/sinusoid/trainer';
import { rawMethodOptions } from '../core/contract/methodConfig';
import type { RegressionSummary } from '../core/contract/runSummary';
import { evaluateRegressionLaplace } from '../core/methods/regressionLaplace';
import { withCheckpointValues } from '../core/ood/checkpointNetwork';
import { SeedStream } from '../core/random/seedStream';
import type { TrainingCheckpoint } from '../core/training/checkpoint';
import { pointRegressionModel } from '../core/training/pointRegressionTrainer';
import { initBenchBackend } from './benchBackend';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : fallback;
};
const seeds = option('seeds', '0,1,2').split(',').map(Number);
const methodIds = option('methods', 'vi,deterministic,mcDropout,ensemble').split(',') as SinusoidConfig['method'][];
const backend = await initBenchBackend(argv);

type Scores = { stdRatio: number | null; rmseInside: number | null; coverageInside: number | null };
const results: Record<string, (Scores & { seed: number; seconds: number; [key: string]: unknown })[]> = {};

function config(method: SinusoidConfig['method'], seed: number): SinusoidConfig {
  const preset = sinusoidPresets.find((candidate) => candidate.name === 'default')!.config;
  // One band at the end instead of one every 100 epochs: training is unchanged (evaluations draw from their
  // own seed stream), the last band's Monte Carlo draws differ from a run's that evaluated all along.
  return sinusoidConfigSchema.parse({
    ...preset,
    method,
    seed,
    members: 5,
    evalEvery: preset.epochs,
    backend: backend.name,
  });
}

for (const method of methodIds) {
  for (const seed of seeds) {
    const runConfig = config(method, seed);
    let last: TrainingCheckpoint | undefined;
    const started = performance.now();
    const summary = (await sinusoidTrainer.run(
      runConfig,
      { emit: () => {}, shouldStop: () => false, checkpoint: (state) => void (last = state) },
      { loadDataset: () => Promise.reject(new Error('The sinusoid loads no dataset.')) },
    )) as RegressionSummary;
    const seconds = (performance.now() - started) / 1000;
    const scores = {
      stdRatio: summary.stdRatio,
      rmseInside: summary.rmseInside,
      coverageInside: summary.coverageInside,
    };
    (results[method] ??= []).push({ seed, ...scores, seconds: Math.round(seconds * 10) / 10 });
    console.error(`${method} seed ${seed}: ${JSON.stringify(scores)} in ${seconds.toFixed(1)} s`);
    if (method === 'deterministic' && last) {
      const model = withCheckpointValues(
        pointRegressionModel(runConfig, rawMethodOptions(runConfig), new SeedStream(seed).fork(1)),
        last.variables,
      );
      try {
        const laplace = evaluateRegressionLaplace({
          model,
          problem: sinusoidTrainer.regressionProblem!(runConfig),
          noiseStd: runConfig.noiseStd,
          gridPoints: runConfig.gridPoints,
          hessian: 'kron',
          priorPrecision: 'marginalLikelihood',
        });
        (results.laplace ??= []).push({
          seed,
          ...laplace.after,
          before: laplace.before,
          priorPrecision: laplace.priorPrecision,
          seconds: 0,
        });
        console.error(`laplace seed ${seed}: ${JSON.stringify(laplace.after)}, δ = ${laplace.priorPrecision}`);
      } finally {
        model.dispose();
      }
    }
  }
}

const mean = (values: (number | null)[]) => {
  const numbers = values.filter((value): value is number => value !== null);
  return numbers.length === values.length && numbers.length > 0
    ? numbers.reduce((a, b) => a + b, 0) / numbers.length
    : null;
};
const means = Object.fromEntries(
  Object.entries(results).map(([method, runs]) => [
    method,
    {
      stdRatio: mean(runs.map((run) => run.stdRatio)),
      rmseInside: mean(runs.map((run) => run.rmseInside)),
      coverageInside: mean(runs.map((run) => run.coverageInside)),
    },
  ]),
);
console.log(JSON.stringify({ backend, preset: 'default', seeds, runs: results, means }, null, 2));

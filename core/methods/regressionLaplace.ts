/**
 * Last-layer Laplace on a deterministic regression run (Daxberger et al. 2021; MacKay 1992),
 * worker side. The last layer of the MLP is linear in its weights, f(x) = φ(x)ᵀ w + b, and the
 * likelihood Gaussian with the run's known noise σ, so the GGN is the exact Hessian and the
 * Laplace posterior the exact linear-Gaussian one (core/methods/laplace, 'kron' with one output):
 *   Σ = (Σ_n a_n a_nᵀ / σ² + δ I)⁻¹,  a = [φ(x); 1],
 * with δ maximising the evidence log p(y | δ) (MacKay's fixed point). The band is the run's MAP mean
 * ± 2·√(aᵀ Σ a), the epistemic std — the same quantity VI's band shows (the spread of the mean over
 * the posterior), so the two compare directly — and it is scored with the run's figures of merit
 * (stdRatio, rmseInside, coverageInside) before (the deterministic net: no band) and after.
 * Everything is computed in the network's units and mapped back to data units.
 */
import { linspace } from '../data/regressionData';
import { bandFiguresOfMerit } from '../scoring/bandFiguresOfMerit';
import type { RegressionProblem } from '../training/regressionTrainer';
import { fitLastLayerLaplace, type HessianStructure, type LastLayerLaplace } from './laplace';
import { lastLayerFeatures, lastLayerMap, networkOutputs } from './networkOutputs';
import type { PointModel } from './pointModel';
import { PosthocError } from './posthoc';

/** A band's figures of merit; stdRatio null when it has no width at all (the deterministic net). */
export interface BandScores {
  stdRatio: number | null;
  rmseInside: number;
  coverageInside: number;
}

export interface RegressionLaplaceEvaluation {
  before: BandScores;
  after: BandScores;
  priorPrecision: number;
  priorPrecisionRule: string;
  /** log p(y | δ) at the chosen δ (network units). */
  logEvidence: number;
  hessian: HessianStructure;
  trainingPoints: number;
  /** The band after, in data units, on the run's grid. */
  band: { grid: number[]; mean: number[]; std: number[] };
}

export interface RegressionLaplaceArgs {
  model: PointModel;
  problem: RegressionProblem;
  /** The run's known noise σ (data units). */
  noiseStd: number;
  gridPoints: number;
  hessian: HessianStructure;
  priorPrecision: 'marginalLikelihood' | 'validation';
}

/** The fitted posterior and the maps between units, for the evaluation and for tests. */
export function fitRegressionLaplace(args: RegressionLaplaceArgs): {
  laplace: LastLayerLaplace;
  priorPrecisionRule: string;
  logEvidence: number;
  toNetworkX: (x: number) => number;
  yScale: { mean: number; std: number };
} {
  const { model, problem } = args;
  if (model.networks.length !== 1 || model.samplesAtPrediction) {
    throw new PosthocError('Last-layer Laplace expands around one MAP network; this run is not a deterministic one.');
  }
  if (args.priorPrecision === 'validation') {
    throw new PosthocError(
      'A regression run trains on all of its few points, so there is no validation split to choose the prior precision on; ' +
        'use the marginal likelihood (priorPrecision "marginalLikelihood", the default).',
    );
  }
  const network = model.networks[0];
  const { standardization } = problem;
  const toNetworkX = (x: number) => (standardization ? (x - standardization.xMean) / standardization.xStd : x);
  const yScale = standardization ? { mean: standardization.yMean, std: standardization.yStd } : { mean: 0, std: 1 };
  const x = Float32Array.from(problem.data.x, toNetworkX);
  const training = lastLayerFeatures(network, { values: x, count: x.length, inputShape: [1] });
  const targets = problem.data.y.map((y) => (y - yScale.mean) / yScale.std);
  const { laplace, priorPrecision } = fitLastLayerLaplace(
    lastLayerMap(network),
    { ...training, observations: { kind: 'regression', targets, noiseStd: args.noiseStd / yScale.std } },
    { hessian: args.hessian, priorPrecision: { kind: 'marginalLikelihood' } },
  );
  return {
    laplace,
    priorPrecisionRule: priorPrecision.method,
    logEvidence: laplace.logMarginalLikelihood(),
    toNetworkX,
    yScale,
  };
}

function scoresOf(grid: number[], mean: number[], std: number[], problem: RegressionProblem): BandScores {
  const merit = bandFiguresOfMerit(grid, mean, std, problem.regions);
  return { ...merit, stdRatio: Number.isFinite(merit.stdRatio) ? merit.stdRatio : null };
}

export function evaluateRegressionLaplace(args: RegressionLaplaceArgs): RegressionLaplaceEvaluation {
  const { laplace, priorPrecisionRule, logEvidence, toNetworkX, yScale } = fitRegressionLaplace(args);
  const network = args.model.networks[0];
  const grid = linspace(args.problem.grid.min, args.problem.grid.max, args.gridPoints);
  const gridX = Float32Array.from(grid, toNetworkX);
  const inputs = { values: gridX, count: grid.length, inputShape: [1] };
  const outputs = networkOutputs(network, inputs);
  const mean = Array.from(outputs.values, (value) => value * yScale.std + yScale.mean);
  const variance = laplace.functionalVariance(lastLayerFeatures(network, inputs));
  const std = Array.from(variance, (value) => Math.sqrt(Math.max(value, 0)) * yScale.std);
  return {
    before: scoresOf(
      grid,
      mean,
      grid.map(() => 0),
      args.problem,
    ),
    after: scoresOf(grid, mean, std, args.problem),
    priorPrecision: laplace.priorPrecision,
    priorPrecisionRule,
    logEvidence,
    hessian: args.hessian,
    trainingPoints: args.problem.data.x.length,
    band: { grid, mean, std },
  };
}

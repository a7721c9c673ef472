/**
 * Monte Carlo evaluation shared by the trainer's thread and its data-parallel helpers: the T draws
 * are cut into contiguous ranges, each thread computes its range with the seeds one thread would
 * use (draw t from (seed, t)), and the draw-major results are laid end to end — the same numbers as
 * monteCarloProbabilities on one thread, up to the float32 summation order of each backend.
 */
import type { GradientPool } from '../training/gradientPool';
import { variableValues } from '../training/dataParallelStep';
import { evenRanges } from '../training/sharedStepMemory';
import { monteCarloProbabilities, type MonteCarloArgs, type MonteCarloProbabilities } from './monteCarlo';

export async function parallelMonteCarloProbabilities(
  pool: GradientPool,
  args: MonteCarloArgs,
): Promise<MonteCarloProbabilities> {
  const { network, images, count, imageShape, classes, draws, seed } = args;
  // Only variational networks train data-parallel (the trainer refuses workers > 1 for point methods).
  if (!('trainableVariables' in network)) {
    throw new Error(
      'Parallel Monte Carlo evaluation takes a variational network; point-weight methods evaluate on one thread.',
    );
  }
  pool.setParameters(await variableValues(network.trainableVariables));
  const [own, ...others] = evenRanges(draws, pool.helpers + 1);
  const remote = others.map(({ start, rows }, helper) =>
    rows === 0
      ? Promise.resolve(new Float32Array(0))
      : pool.drawProbabilities(helper, { images, count, imageShape, classes, seed, firstDraw: start, draws: rows }),
  );
  remote.forEach((promise) => promise.catch(() => undefined)); // awaited below; an early local failure must not leave them unhandled
  const local = await monteCarloProbabilities({ ...args, firstDraw: own.start, draws: own.rows });
  const values = new Float32Array(draws * count * classes);
  values.set(local.values, 0);
  const parts = await Promise.all(remote);
  others.forEach(({ start }, i) => values.set(parts[i], start * count * classes));
  return { draws, count, classes, values };
}

/**
 * The classification service's helper threads (electron/worker/evaluationPool.ts) on the cpu
 * backend, real threads: a helper computes exactly the draw it is asked for — the same
 * probabilities this thread computes for that draw — for a variational net and an ensemble
 * member; every helper's tensor count stays flat across sets; a helper that is killed rejects
 * with a message naming it and marks the pool broken.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setCpuBackend } from '../../../core/engine/cpuBackend';
import { lenet5ConfigSchema, type Lenet5Config } from '../../../core/contract/runConfig';
import { oneDrawProbabilities } from '../../../core/evaluation/sharedMonteCarlo';
import { LENET5_INPUT_SHAPE } from '../../../core/experiments/lenet5/network';
import { lenet5NetworkOfRun } from '../../../core/ood/checkpointNetwork';
import { stableVariableName } from '../../../core/engine/variables';
import { SeedStream } from '../../../core/random/seedStream';
import type { NamedValues } from '../../../core/training/checkpoint';
import { EvaluationPool, type EvaluationSet } from '../../../electron/worker/evaluationPool';

let pool: EvaluationPool;

beforeAll(async () => {
  await setCpuBackend();
  pool = await EvaluationPool.start(2, 'cpu');
}, 120_000);

afterAll(async () => {
  await pool?.close();
});

async function networkOf(config: Lenet5Config) {
  const network = lenet5NetworkOfRun(config, new SeedStream(8));
  const variables: NamedValues[] = await Promise.all(
    network.trainableVariables.map(async (variable) => ({
      name: stableVariableName(variable.name),
      shape: variable.shape,
      values: Float32Array.from(await variable.data()),
    })),
  );
  return { network, variables };
}

function imageSet(count: number, offset: number): EvaluationSet {
  const images = new Float32Array(new SharedArrayBuffer(count * 784 * 4));
  images.forEach((_, i) => (images[i] = ((i * 13 + offset) % 97) / 97));
  return { images, count, imageShape: LENET5_INPUT_SHAPE, classes: 10, seed: 21, chunkSize: 4 };
}

describe('EvaluationPool', () => {
  it('computes the asked draw of a VI net and of an ensemble member, with flat tensor counts', async () => {
    const configs = [
      lenet5ConfigSchema.parse({ experiment: 'lenet5', seed: 1 }),
      lenet5ConfigSchema.parse({ experiment: 'lenet5', seed: 1, method: 'ensemble', members: 3 }),
    ];
    const counts: string[] = [];
    for (const [index, config] of configs.entries()) {
      const { network, variables } = await networkOf(config);
      try {
        for (const set of [imageSet(6, 0), imageSet(5, 3)]) {
          const helpers = pool.helpersFor({ key: `net-${index}`, config, variables }, set, () => true);
          expect(helpers.available()).toBe(2);
          const [first, second] = await Promise.all([helpers.computeDraw(0, 2), helpers.computeDraw(1, 1)]);
          const args = { ...set, network };
          expect(Array.from(first)).toEqual(Array.from(await oneDrawProbabilities({ ...args, draw: 2 })));
          expect(Array.from(second)).toEqual(Array.from(await oneDrawProbabilities({ ...args, draw: 1 })));
          counts.push(pool.helperTensorCounts.join());
        }
        // Nothing shares while a run trains.
        expect(
          pool.helpersFor({ key: `net-${index}`, config, variables }, imageSet(2, 0), () => false).available(),
        ).toBe(0);
      } finally {
        network.dispose();
      }
    }
    // Each helper holds its networks (two at most) and nothing else: flat once both are loaded.
    expect(counts[1]).toBe(counts[0]);
    expect(counts[3]).toBe(counts[2]);
  }, 240_000);

  it('rejects with a message naming the helper when its thread is killed, and is then broken', async () => {
    const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', seed: 1 });
    const { network, variables } = await networkOf(config);
    try {
      const helpers = pool.helpersFor({ key: 'killed', config, variables }, imageSet(3, 1), () => true);
      await pool.threads[1].terminate();
      await expect(helpers.computeDraw(1, 0)).rejects.toThrow(
        /^Evaluation helper 2 of 2 (exited unexpectedly|stopped)/,
      );
      expect(pool.broken).toBe(true);
      // The other helper still answers.
      expect(await helpers.computeDraw(0, 0)).toHaveLength(30);
    } finally {
      network.dispose();
    }
  }, 240_000);
});

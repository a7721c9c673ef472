/**
 * Draws shared with helpers (core/evaluation/sharedMonteCarlo.ts), on the cpu backend with helpers
 * that compute on this thread: the result is the one-thread result value for value (draw t is the
 * network of (seed, t) wherever it is computed), for a variational LeNet5, MC dropout and an
 * ensemble (whose draws are its members); a helper that fails gives its draw back and the result
 * is unchanged; no tensor is left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setCpuBackend } from '../../../core/engine/cpuBackend';
import { lenet5ConfigSchema } from '../../../core/contract/runConfig';
import { monteCarloProbabilities, type MonteCarloArgs } from '../../../core/evaluation/monteCarlo';
import {
  oneDrawProbabilities,
  sharedMonteCarloSteps,
  type DrawHelpers,
  type SharedMonteCarloTimings,
} from '../../../core/evaluation/sharedMonteCarlo';
import { LENET5_INPUT_SHAPE } from '../../../core/experiments/lenet5/network';
import { lenet5NetworkOfRun } from '../../../core/ood/checkpointNetwork';
import { SeedStream } from '../../../core/random/seedStream';

beforeAll(async () => {
  await setCpuBackend();
});

async function drain(steps: AsyncGenerator<void, { values: Float32Array; draws: number }, void>) {
  let passes = 0;
  for (;;) {
    const next = await steps.next();
    if (next.done) return { ...next.value, passes };
    passes += 1;
  }
}

function argsFor(network: MonteCarloArgs['network'], draws: number): MonteCarloArgs {
  const count = 7;
  const images = new Float32Array(count * 784).map((_, i) => ((i * 37) % 101) / 101);
  return { network, images, count, imageShape: LENET5_INPUT_SHAPE, classes: 10, draws, seed: 11, chunkSize: 4 };
}

/** Helpers that compute their draws on this thread, after a tick (as a thread's answer would come). */
function localHelpers(
  args: MonteCarloArgs,
  helpers: number,
  failOn = new Set<number>(),
): DrawHelpers & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    available: () => helpers,
    computeDraw: async (helper, draw) => {
      calls.push(draw);
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (failOn.has(helper)) throw new Error(`helper ${helper} died`);
      return oneDrawProbabilities({ ...args, draw });
    },
  };
}

const methods = [
  { method: 'vi', options: {} },
  { method: 'mcDropout', options: { dropout: 0.2 } },
  { method: 'ensemble', options: { members: 3 } },
] as const;

describe('sharedMonteCarloSteps', () => {
  for (const { method, options } of methods) {
    it(`gives the one-thread probabilities for ${method} with one and two helpers`, async () => {
      const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', seed: 2, method, ...options });
      const network = lenet5NetworkOfRun(config, new SeedStream(5));
      try {
        const args = argsFor(network, 6);
        const alone = await monteCarloProbabilities(args);
        const before = tf.memory().numTensors;
        for (const count of [1, 2]) {
          const helpers = localHelpers(args, count);
          const timings: SharedMonteCarloTimings = {
            localDraws: 0,
            helperDraws: 0,
            retriedDraws: 0,
            localMs: 0,
            waitMs: 0,
          };
          const shared = await drain(sharedMonteCarloSteps(args, helpers, timings));
          expect(shared.draws).toBe(alone.draws);
          expect(Array.from(shared.values)).toEqual(Array.from(alone.values));
          expect(timings.localDraws + timings.helperDraws).toBe(alone.draws);
          expect(timings.helperDraws).toBeGreaterThan(0); // the helpers did take draws
          expect(new Set(helpers.calls).size).toBe(helpers.calls.length); // no draw computed twice
        }
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        network.dispose();
      }
    });
  }

  it("computes a failing helper's draw on this thread, with the same result", async () => {
    const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', seed: 2 });
    const network = lenet5NetworkOfRun(config, new SeedStream(5));
    try {
      const args = argsFor(network, 5);
      const alone = await monteCarloProbabilities(args);
      const timings: SharedMonteCarloTimings = {
        localDraws: 0,
        helperDraws: 0,
        retriedDraws: 0,
        localMs: 0,
        waitMs: 0,
      };
      const shared = await drain(sharedMonteCarloSteps(args, localHelpers(args, 2, new Set([1])), timings));
      expect(Array.from(shared.values)).toEqual(Array.from(alone.values));
      expect(timings.retriedDraws).toBe(1);
      expect(timings.localDraws + timings.helperDraws).toBe(5);
    } finally {
      network.dispose();
    }
  });

  it('yields once per forward pass of this thread, and without helpers is monteCarloSteps', async () => {
    const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', seed: 2 });
    const network = lenet5NetworkOfRun(config, new SeedStream(5));
    try {
      const args = argsFor(network, 3);
      const alone = await monteCarloProbabilities(args);
      const shared = await drain(sharedMonteCarloSteps(args, null));
      expect(Array.from(shared.values)).toEqual(Array.from(alone.values));
      expect(shared.passes).toBe(3 * 2); // 3 draws × 2 chunks of 4 and 3 images
    } finally {
      network.dispose();
    }
  });
});

/**
 * The data-parallel step's shared memory (core/training/sharedStepMemory.ts): Adam applied shard by
 * shard in plain JavaScript gives tf.train.adam's bits on the summed gradient, step after step (the
 * optimizer's own state written back into tfjs is the same too, so checkpoints do not care which
 * one trained); the slice split is exact and gives the KL thread fewer rows; barriers count and
 * a failure wakes whoever waits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { KL_TERM_ROWS, sliceBounds } from '../../../core/training/dataParallelStep';
import {
  allocateSharedStepBuffers,
  CONTROL,
  evenRanges,
  nextAccBeta,
  SharedStepAborted,
  SharedStepMemory,
} from '../../../core/training/sharedStepMemory';
import { readAdamState, writeAdamState } from '../../../core/training/trainingState';
import { useCpuBackend } from '../../fixtures/testBackend';

beforeAll(useCpuBackend);

const SIZES = [12, 5, 30];
const TOTAL = SIZES.reduce((a, b) => a + b, 0);

/** Deterministic values spanning several orders of magnitude and both signs. */
function values(count: number, seed: number, scale: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => {
    const x = Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453;
    return (x - Math.floor(x) - 0.5) * scale * 10 ** ((i % 5) - 2);
  });
}

describe('SharedStepMemory.adamShard', () => {
  it.each([2, 3])(
    'gives tf.train.adam bits over 4 steps with %i threads (regions summed as one optimizer would)',
    async (threads) => {
      const memory = new SharedStepMemory(allocateSharedStepBuffers(threads, SIZES, 4, 8));
      const initial = values(TOTAL, 1, 1);
      memory.parameters.set(initial);
      const variables = memory
        .perVariable(initial)
        .map((part, i) => tf.variable(tf.tensor1d(part), true, `w${threads}_${i}`));
      const optimizer = tf.train.adam(0.01);
      let acc = { beta1: Math.fround(0.9), beta2: Math.fround(0.999) };
      const learningRates = [0.01, 0.007, 0.003, 0.0005];
      for (let step = 0; step < learningRates.length; step += 1) {
        const regions = Array.from({ length: threads }, (_, k) => values(TOTAL, 10 * step + k + 2, 3));
        regions.forEach((region, k) => memory.region(k).set(region));
        // The one-optimizer path: trainer's gradient + (Σ helpers' regions, summed in float32 in order).
        const helperSum = new Float32Array(TOTAL);
        for (const region of regions.slice(1)) for (let j = 0; j < TOTAL; j += 1) helperSum[j] += region[j];
        (optimizer as unknown as { learningRate: number }).learningRate = learningRates[step];
        tf.tidy(() => {
          const own = memory.perVariable(regions[0]);
          const others = memory.perVariable(helperSum);
          optimizer.applyGradients(
            Object.fromEntries(
              variables.map((variable, i) => [variable.name, tf.add(tf.tensor1d(own[i]), tf.tensor1d(others[i]))]),
            ),
          );
        });
        const adam = {
          learningRate: learningRates[step],
          beta1: 0.9,
          beta2: 0.999,
          epsilon: 1e-7,
          accBeta1: acc.beta1,
          accBeta2: acc.beta2,
        };
        // Shards in reverse order: each thread touches only its own range.
        for (let thread = threads - 1; thread >= 0; thread -= 1) memory.adamShard(thread, adam);
        acc = { beta1: nextAccBeta(acc.beta1, 0.9), beta2: nextAccBeta(acc.beta2, 0.999) };
        const expected = Float32Array.from(variables.flatMap((variable) => [...variable.dataSync()]));
        expect(Array.from(memory.parameters)).toEqual(Array.from(expected));
      }
      // Moments and β powers match tfjs's own state bit for bit.
      const state = await readAdamState(optimizer, variables);
      expect(state.iterations).toBe(4);
      expect(acc.beta1).toBe(state.accBeta1);
      expect(acc.beta2).toBe(state.accBeta2);
      const first = memory.perVariable(memory.firstMoments);
      const second = memory.perVariable(memory.secondMoments);
      variables.forEach((variable, i) => {
        expect(Array.from(first[i])).toEqual(Array.from(state.firstMoments.get(variable)!));
        expect(Array.from(second[i])).toEqual(Array.from(state.secondMoments.get(variable)!));
      });
      // Written back into an optimizer that already has moments: in place, no new tensors.
      const before = tf.memory().numTensors;
      await writeAdamState(optimizer, { ...state, iterations: 9 });
      expect(tf.memory().numTensors).toBe(before);
      expect((await readAdamState(optimizer, variables)).iterations).toBe(9);
      optimizer.dispose();
      variables.forEach((variable) => variable.dispose());
    },
  );

  it('covers every parameter exactly once across the shards', () => {
    for (const threads of [1, 2, 3, 5]) {
      const shards = evenRanges(TOTAL, threads);
      expect(shards.reduce((sum, shard) => sum + shard.rows, 0)).toBe(TOTAL);
      shards.forEach((shard, i) => expect(shard.start).toBe(i === 0 ? 0 : shards[i - 1].start + shards[i - 1].rows));
    }
  });
});

describe('sliceBounds', () => {
  it('splits the batch exactly, the KL thread (first) smaller by the KL term, evenly when it would get no row', () => {
    for (const [size, parts] of [
      [128, 2],
      [128, 3],
      [128, 4],
      [32, 2],
      [7, 2],
      [3, 3],
    ] as const) {
      const slices = sliceBounds(size, parts);
      expect(slices.reduce((sum, slice) => sum + slice.rows, 0)).toBe(size);
      slices.forEach((slice, i) => {
        expect(slice.rows).toBeGreaterThan(0);
        expect(slice.start).toBe(i === 0 ? 0 : slices[i - 1].start + slices[i - 1].rows);
      });
    }
    expect(sliceBounds(128, 2)).toEqual([
      { start: 0, rows: 64 - KL_TERM_ROWS / 2 },
      { start: 64 - KL_TERM_ROWS / 2, rows: 64 + KL_TERM_ROWS / 2 },
    ]);
    expect(sliceBounds(3, 3)).toEqual(evenRanges(3, 3));
  });
});

describe('SharedStepMemory barriers', () => {
  it('counts arrivals, times out while one is missing, and throws once a thread has failed', () => {
    const memory = new SharedStepMemory(allocateSharedStepBuffers(2, SIZES, 4, 8));
    memory.arrive(CONTROL.gradients);
    expect(memory.waitFor(CONTROL.gradients, 2, 5)).toBe(false);
    memory.arrive(CONTROL.gradients);
    expect(memory.waitFor(CONTROL.gradients, 2, 5)).toBe(true);
    memory.fail(1);
    expect(() => memory.waitFor(CONTROL.shards, 2, 5)).toThrow(SharedStepAborted);
  });

  it('carries the step description and each thread result through shared memory', () => {
    const buffers = allocateSharedStepBuffers(3, SIZES, 4, 8);
    const writer = new SharedStepMemory(buffers);
    const reader = new SharedStepMemory(buffers);
    const step = {
      fullSize: 8,
      klWeight: 1 / 9000,
      seeds: { seed: 123456789, salt: 2, position: 4321 },
      adam: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, accBeta1: 0.9, accBeta2: 0.999 },
      slices: sliceBounds(8, 3),
    };
    writer.writeStep(step);
    expect(reader.readStep()).toEqual(step);
    writer.writeThreadResult(2, { nllSum: 3.5, correct: 4, computeMs: 12.25, tensors: 20 });
    expect(reader.threadResult(2)).toEqual({ nllSum: 3.5, correct: 4, computeMs: 12.25, tensors: 20 });
  });
});

/**
 * Monte Carlo probabilities computed one forward pass per `next()` on this thread while helper
 * threads take whole draws of the same evaluation as they come free (work sharing, one draw at a
 * time). Draw t is always the network of seed (seed, t), whichever thread computes it, so the
 * result is the one monteCarloSteps gives on one thread — the same draws, the same layout
 * (draw-major [draw][image][class]) — up to the float32 summation order of the backend.
 *
 * Why one draw per hand-out: the caller (the training worker's classification service) serves
 * interactive requests between passes, and at the end of an evaluation it waits for the helpers'
 * last draws; with one draw per hand-out that wait is at most one forward pass of one chunk.
 */
import * as tf from '@tensorflow/tfjs-core';
import { takeValues } from '../engine/readback';
import { drawsOf, logitsOfDraw, type MonteCarloArgs, type MonteCarloProbabilities } from './monteCarlo';

/** Threads that compute whole draws of the evaluation in hand (electron/worker/evaluationPool.ts). */
export interface DrawHelpers {
  /** Helper threads that may take draws now (none while a run trains: its steps come first). */
  available(): number;
  /** The probabilities [count, classes] of draw `draw` on helper `helper`. */
  computeDraw(helper: number, draw: number): Promise<Float32Array>;
}

/** Where the passes of an evaluation went: draws per thread and the time this thread spent. */
export interface SharedMonteCarloTimings {
  localDraws: number;
  helperDraws: number;
  /** Draws a failing helper gave back, computed here instead. */
  retriedDraws: number;
  /** This thread's forward passes and read-backs, ms. */
  localMs: number;
  /** Waiting for the helpers' last draws after this thread ran out of work, ms. */
  waitMs: number;
}

export async function* sharedMonteCarloSteps(
  args: MonteCarloArgs,
  helpers: DrawHelpers | null,
  timings?: SharedMonteCarloTimings,
): AsyncGenerator<void, MonteCarloProbabilities, void> {
  const { network, images, count, imageShape, classes, seed } = args;
  const draws = drawsOf(network, args.draws);
  const chunkSize = args.chunkSize ?? 500;
  const pixelsPerImage = imageShape.reduce((a, b) => a * b, 1);
  const drawValues = count * classes;
  const probabilities = new Float32Array(draws * drawValues);
  const stats = timings ?? { localDraws: 0, helperDraws: 0, retriedDraws: 0, localMs: 0, waitMs: 0 };

  let nextDraw = 0;
  /** Draws a helper failed on: this thread computes them (a dead helper must not lose the evaluation). */
  const returned: number[] = [];
  let abandoned = false;
  const feed = async (helper: number): Promise<void> => {
    while (!abandoned && nextDraw < draws) {
      const draw = nextDraw;
      nextDraw += 1;
      try {
        const values = await helpers!.computeDraw(helper, draw);
        if (values.length !== drawValues) {
          throw new Error(`helper ${helper + 1} sent ${values.length} values for ${drawValues}`);
        }
        probabilities.set(values, draw * drawValues);
        stats.helperDraws += 1;
      } catch {
        returned.push(draw);
        return; // this helper takes no more draws of this evaluation
      }
    }
  };
  const feeding = Array.from({ length: draws > 1 ? (helpers?.available() ?? 0) : 0 }, (_, helper) => feed(helper));

  const inputs: tf.Tensor[] = [];
  try {
    for (let start = 0; start < count; start += chunkSize) {
      const size = Math.min(chunkSize, count - start);
      inputs.push(
        tf.tensor(images.subarray(start * pixelsPerImage, (start + size) * pixelsPerImage), [size, ...imageShape]),
      );
    }
    for (;;) {
      let draw: number;
      if (nextDraw < draws) {
        draw = nextDraw;
        nextDraw += 1;
      } else if (returned.length > 0) {
        draw = returned.shift()!;
        stats.retriedDraws += 1;
      } else {
        break;
      }
      for (let chunk = 0, start = 0; chunk < inputs.length; chunk += 1, start += chunkSize) {
        const began = performance.now();
        const probs = tf.tidy(() => tf.softmax(logitsOfDraw(network, inputs[chunk], draw, seed)));
        probabilities.set(await takeValues(probs), draw * drawValues + start * classes);
        stats.localMs += performance.now() - began;
        yield;
      }
      stats.localDraws += 1;
      if (nextDraw >= draws && returned.length === 0 && feeding.length > 0) {
        // Out of work here: wait for the helpers' draws in flight (at most one pass each).
        const began = performance.now();
        await Promise.all(feeding);
        stats.waitMs += performance.now() - began;
      }
    }
  } finally {
    abandoned = true;
    tf.dispose(inputs);
  }
  return { draws, count, classes, values: probabilities };
}

export interface OneDrawArgs extends Omit<MonteCarloArgs, 'draws' | 'firstDraw'> {
  draw: number;
}

/**
 * The probabilities [count, classes] of draw `draw` alone (a helper's share): exactly that draw,
 * also for a method with a fixed number of passes (an ensemble member), where monteCarloSteps
 * would compute all of them.
 */
export async function oneDrawProbabilities(args: OneDrawArgs): Promise<Float32Array> {
  const { network, images, count, imageShape, classes, seed, draw } = args;
  const chunkSize = args.chunkSize ?? 500;
  const pixelsPerImage = imageShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count * classes);
  for (let start = 0; start < count; start += chunkSize) {
    const size = Math.min(chunkSize, count - start);
    const probs = tf.tidy(() =>
      tf.softmax(
        logitsOfDraw(
          network,
          tf.tensor(images.subarray(start * pixelsPerImage, (start + size) * pixelsPerImage), [size, ...imageShape]),
          draw,
          seed,
        ),
      ),
    );
    out.set(await takeValues(probs), start * classes);
  }
  return out;
}

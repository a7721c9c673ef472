/**
 * Monte Carlo predictive probabilities: for each of T posterior draws w_t ~ q(w) (one sampled
 * network for all images, no Flipout), p_t(c | x) = softmax(f(x; w_t)). Images are processed in
 * chunks and every chunk's tensors are freed before the next, so memory stays bounded (the wasm
 * heap is capped at 4 GB). Draw t re-creates its weights from its own seed in every chunk, so a
 * draw is the same network across chunks.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { VariationalSequential } from '../models/variationalSequential';
import type { DrawProbabilities } from '../metrics/predictive';
import { SeedStream } from '../random/seedStream';
import { takeValues } from '../engine/readback';

/** The metrics modules' draw-major [draw][image][class] layout, held as float32. */
export interface MonteCarloProbabilities extends DrawProbabilities {
  values: Float32Array;
}

/**
 * A network that is not variational but still predicts by passes: a point-weight method's
 * (core/methods/pointModel). `fixedDraws` overrides the requested T when the method has a fixed
 * number of passes (1 for a deterministic net, M for an ensemble's members).
 */
export interface DrawNetwork {
  readonly fixedDraws: number | undefined;
  /** The output of pass `draw` (logits); call inside tf.tidy or dispose it. */
  drawOutput(input: tf.Tensor, draw: number, seed: number): tf.Tensor;
}

/** The number of passes a network makes when T are asked for. */
export function drawsOf(network: VariationalSequential | DrawNetwork, requested: number): number {
  return 'drawOutput' in network ? (network.fixedDraws ?? requested) : requested;
}

export function logitsOfDraw(
  network: VariationalSequential | DrawNetwork,
  input: tf.Tensor,
  draw: number,
  seed: number,
) {
  if ('drawOutput' in network) return network.drawOutput(input, draw, seed);
  return network.apply(input, { mode: 'draw', seeds: new SeedStream(seed, draw), computeKl: false }).output;
}

export interface MonteCarloArgs {
  network: VariationalSequential | DrawNetwork;
  /** `count` images, each `imageShape` (e.g. [28, 28, 1]), row-major. */
  images: Float32Array;
  count: number;
  imageShape: number[];
  classes: number;
  draws: number;
  seed: number;
  /**
   * Index of the first draw (default 0): `draws` draws from here, so threads sharing the draws of
   * one evaluation each compute exactly the networks one thread would (draw t's seed is (seed, t)).
   */
  firstDraw?: number;
  /** Images per forward pass. Default 500. */
  chunkSize?: number;
}

export async function monteCarloProbabilities(args: MonteCarloArgs): Promise<MonteCarloProbabilities> {
  const steps = monteCarloSteps(args);
  for (;;) {
    const next = await steps.next();
    if (next.done) return next.value;
  }
}

/**
 * The same computation one forward pass (one chunk under one draw) per `next()`, so a caller can
 * interleave it with other work (the training worker serves classification requests between
 * training steps). Abandoning it early with `return()` frees the chunk it holds.
 */
export async function* monteCarloSteps(args: MonteCarloArgs): AsyncGenerator<void, MonteCarloProbabilities, void> {
  const { network, images, count, imageShape, classes, seed } = args;
  const draws = drawsOf(network, args.draws);
  const chunkSize = args.chunkSize ?? 500;
  const firstDraw = args.firstDraw ?? 0;
  const pixelsPerImage = imageShape.reduce((a, b) => a * b, 1);
  const probabilities = new Float32Array(draws * count * classes);
  for (let start = 0; start < count; start += chunkSize) {
    const size = Math.min(chunkSize, count - start);
    const input = tf.tensor(images.subarray(start * pixelsPerImage, (start + size) * pixelsPerImage), [
      size,
      ...imageShape,
    ]);
    try {
      for (let draw = 0; draw < draws; draw += 1) {
        const probs = tf.tidy(() => tf.softmax(logitsOfDraw(network, input, firstDraw + draw, seed)));
        probabilities.set(await takeValues(probs), (draw * count + start) * classes);
        yield;
      }
    } finally {
      input.dispose();
    }
  }
  return { draws, count, classes, values: probabilities };
}

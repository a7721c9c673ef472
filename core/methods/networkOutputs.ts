/**
 * Worker-side glue between a trained point network and the post-hoc methods, which work on plain
 * arrays: the last layer's input features φ(x) and MAP weights (last-layer Laplace) and the logits
 * (temperature scaling), computed in chunks so that no more than one chunk lives on the backend
 * (the wasm heap is capped at 4 GB), every tensor freed before the next chunk.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DenseDeterministic } from '../layers/deterministic';
import type { PointSequential } from '../models/pointSequential';
import { SeedStream } from '../random/seedStream';
import type { FeatureSet, LastLayerMap } from './laplace';

export class NetworkOutputsError extends Error {
  override name = 'NetworkOutputsError';
}

export interface ChunkedInputs {
  /** `count` inputs of `inputShape` each, row-major. */
  values: Float32Array;
  count: number;
  inputShape: number[];
  /** Inputs per forward pass. Default 500. */
  chunkSize?: number;
}

/** Runs `forward` chunk by chunk and concatenates its [chunk, width] outputs into one Float32Array. */
export function forwardInChunks(
  inputs: ChunkedInputs,
  forward: (batch: tf.Tensor) => tf.Tensor,
): { values: Float32Array; width: number } {
  const { values, count, inputShape } = inputs;
  const chunkSize = inputs.chunkSize ?? 500;
  const inputSize = inputShape.reduce((a, b) => a * b, 1);
  if (values.length !== count * inputSize) {
    throw new NetworkOutputsError(
      `${count} inputs of shape [${inputShape.join(', ')}] need ${count * inputSize} values; found ${values.length}.`,
    );
  }
  let output: Float32Array | null = null;
  let width = 0;
  for (let start = 0; start < count; start += chunkSize) {
    const size = Math.min(chunkSize, count - start);
    const result = tf.tidy(() => {
      const batch = tf.tensor(values.subarray(start * inputSize, (start + size) * inputSize), [size, ...inputShape]);
      const out = forward(batch);
      return tf.reshape(out, [size, -1]);
    });
    width = result.shape[1] as number;
    output ??= new Float32Array(count * width);
    output.set(result.dataSync(), start * width);
    result.dispose();
  }
  return { values: output ?? new Float32Array(0), width };
}

/** φ(x) of every input: the MAP network (dropout off) up to its last weight layer. */
export function lastLayerFeatures(
  network: PointSequential,
  inputs: ChunkedInputs,
): FeatureSet & { featureCount: number } {
  const context = { mode: 'mean' as const, seeds: new SeedStream(0) };
  const { values, width } = forwardInChunks(inputs, (batch) => network.features(batch, context));
  return { features: values, count: inputs.count, featureCount: width };
}

/** The MAP network's outputs (logits) of every input, dropout off. */
export function networkOutputs(
  network: PointSequential,
  inputs: ChunkedInputs,
): { values: Float32Array; width: number } {
  const context = { mode: 'mean' as const, seeds: new SeedStream(0) };
  return forwardInChunks(inputs, (batch) => network.apply(batch, context));
}

/** The last layer's kernel and bias as last-layer Laplace takes them. */
export function lastLayerMap(network: PointSequential): LastLayerMap {
  const layer = network.lastLayer;
  if (!(layer instanceof DenseDeterministic)) {
    throw new NetworkOutputsError(`Last-layer Laplace needs a dense last layer; "${layer.name}" is not one.`);
  }
  const { kernel, bias } = layer.weights();
  return {
    kernel: kernel.dataSync().slice(),
    bias: bias.dataSync().slice(),
    inputUnits: kernel.shape[0] as number,
    outputUnits: layer.units,
  };
}

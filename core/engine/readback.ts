/**
 * Reading tensors back to the host, asynchronously. The webgpu backend cannot read synchronously
 * under Node (tfjs's `dataSync` there needs OffscreenCanvas), so everything core reads goes through
 * `data()`; on cpu and wasm the promise is already settled, which costs a microtask.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** The values of `tensor`, which is disposed (also when reading fails). */
export async function takeValues(tensor: tf.Tensor): Promise<Float32Array> {
  try {
    return (await tensor.data()) as Float32Array;
  } finally {
    tensor.dispose();
  }
}

/** The first value of each tensor, by name; every tensor is disposed (also when reading fails). */
export async function takeScalars<K extends string>(tensors: Record<K, tf.Tensor>): Promise<Record<K, number>> {
  const entries = Object.entries(tensors) as [K, tf.Tensor][];
  try {
    const values = await Promise.all(entries.map(async ([, tensor]) => (await tensor.data())[0]));
    return Object.fromEntries(entries.map(([name], index) => [name, values[index]])) as Record<K, number>;
  } finally {
    for (const [, tensor] of entries) tensor.dispose();
  }
}

/** Variable creation that frees its initial value (tf.variable keeps its own reference). */
import * as tf from '@tensorflow/tfjs-core';

let counter = 0;

/**
 * tfjs variable names are global to the engine: two models in one process (a test, a CLI that
 * trains twice) must not collide, so every name gets a process-unique suffix.
 */
export function uniqueVariableName(name: string): string {
  counter += 1;
  return `${name}_${counter}`;
}

/** The name a variable was created with, without its process-unique suffix: stable across processes (checkpoints). */
export function stableVariableName(uniqueName: string): string {
  return uniqueName.replace(/_\d+$/, '');
}

export function createVariable(initialValue: tf.Tensor, trainable: boolean, name: string): tf.Variable {
  const variable = tf.variable(initialValue, trainable, uniqueVariableName(name));
  initialValue.dispose();
  return variable;
}

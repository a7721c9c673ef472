/** Messages between the trainer's thread and its data-parallel helpers (same process, structured clone). */
import type { Lenet5Config } from '../../core/contract/runConfig';
import type { DrawRequest, GradientPoolSpec } from '../../core/training/gradientPool';
import type { SharedStepBuffers } from '../../core/training/sharedStepMemory';
import type { NamedValues } from '../../core/training/checkpoint';

/** Networks an evaluation helper keeps: it evicts the oldest sent beyond this, and evaluationPool.ts mirrors that. */
export const EVALUATION_NETWORKS_KEPT = 2;

export type HelperRequest =
  | {
      type: 'init';
      spec: GradientPoolSpec;
      helperIndex: number;
      /** The step's shared memory (core/training/sharedStepMemory.ts): parameters, moments, gradient regions, batch. */
      buffers: SharedStepBuffers;
    }
  /** Take steps from shared memory until a message is posted (never counted as one: messagesPostedWord). */
  | { type: 'wake' }
  | ({ type: 'draws' } & DrawRequest)
  /** Parallel evaluation (evaluationPool.ts): select the backend, no training replica. */
  | { type: 'evaluator'; backend: string }
  /** The network of a run's checkpoint, any method, kept under `key` until replaced. */
  | { type: 'evaluationNetwork'; key: string; config: Lenet5Config; variables: NamedValues[] }
  /** Probabilities of draw `draw` of network `key` over the images (a SharedArrayBuffer view: not copied). */
  | {
      type: 'evaluationDraw';
      key: string;
      images: Float32Array;
      count: number;
      imageShape: number[];
      classes: number;
      seed: number;
      draw: number;
      chunkSize: number;
    };

export type HelperReply =
  | { type: 'ready'; tensors: number }
  | { type: 'probabilities'; values: Float32Array; tensors: number }
  | { type: 'error'; message: string };

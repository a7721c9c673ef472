/** Messages between the trainer's thread and its data-parallel helpers (same process, structured clone). */
import type { Lenet5Config } from '../../core/contract/runConfig';
import type { DrawRequest, GradientPoolSpec, SeedStreamState } from '../../core/training/gradientPool';
import type { NamedValues } from '../../core/training/checkpoint';

/** Networks an evaluation helper keeps: it evicts the oldest sent beyond this, and evaluationPool.ts mirrors that. */
export const EVALUATION_NETWORKS_KEPT = 2;

export type HelperRequest =
  | {
      type: 'init';
      spec: GradientPoolSpec;
      helperIndex: number;
      /** The trainer's parameters, all variables back to back (float32). */
      parameterBuffer: SharedArrayBuffer;
      /** One region per helper, each the size of the parameters: no two threads write the same bytes. */
      gradientBuffer: SharedArrayBuffer;
    }
  | {
      type: 'step';
      images: Float32Array;
      labels: Int32Array;
      start: number;
      rows: number;
      fullSize: number;
      seeds: SeedStreamState;
      klWeight: number;
    }
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
  /** `computeMs`: the helper's time from taking the request to replying (benchmarks' phases). */
  | { type: 'done'; nllSum: number; correct: number; tensors: number; computeMs: number }
  | { type: 'probabilities'; values: Float32Array; tensors: number }
  | { type: 'error'; message: string };

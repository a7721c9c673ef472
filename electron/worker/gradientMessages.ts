/** Messages between the trainer's thread and its data-parallel helpers (same process, structured clone). */
import type { DrawRequest, GradientPoolSpec, SeedStreamState } from '../../core/training/gradientPool';

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
  | ({ type: 'draws' } & DrawRequest);

export type HelperReply =
  | { type: 'ready'; tensors: number }
  | { type: 'done'; nllSum: number; correct: number; tensors: number }
  | { type: 'probabilities'; values: Float32Array; tensors: number }
  | { type: 'error'; message: string };

/**
 * The network of a point-weight method (deterministic, MC dropout, deep ensemble), worker side,
 * built from the method's capabilities rather than its name: an options object with `members`
 * makes M independently initialised members (a DeepEnsemble; a regression member then predicts a
 * mean and a variance), a method that needs sampling gets McDropout stages at its rate, and every
 * one is trained on mean NLL + weightDecay · ½ Σ w² (core/methods/pointLosses).
 *
 * At prediction a point model is a DrawNetwork: `fixedDraws` passes — 1 for the deterministic net,
 * M for an ensemble (draw m is member m) — or, for MC dropout, the T passes the caller asks for
 * (draw t uses the masks of SeedStream(seed, t), so a seed replays them).
 */
import * as tf from '@tensorflow/tfjs-core';
import { methods, type MethodId } from './index';
import { DeepEnsemble } from './ensemble';
import type { DrawNetwork } from '../evaluation/monteCarlo';
import type { PointSequential } from '../models/pointSequential';
import { SeedStream } from '../random/seedStream';

export type PointNetworkFactory = (
  options: { dropoutRate?: number; namePrefix?: string; meanAndVariance: boolean },
  seeds: SeedStream,
) => PointSequential;

export interface PointModelSettings {
  method: MethodId;
  /** The method's options as validated by its schema (validateMethodCombination). */
  options: Record<string, unknown>;
}

export class PointModel implements DrawNetwork {
  /** One network, or the ensemble's members. */
  readonly networks: PointSequential[];
  readonly ensemble: DeepEnsemble | null;
  /** Undefined for MC dropout: the caller chooses T. */
  readonly fixedDraws: number | undefined;
  readonly weightDecay: number;
  /** Whether a pass samples dropout masks (MC dropout) at prediction. */
  readonly samplesAtPrediction: boolean;

  constructor(settings: PointModelSettings, makeNetwork: PointNetworkFactory, seeds: SeedStream) {
    const { capabilities } = methods[settings.method];
    const members = typeof settings.options.members === 'number' ? settings.options.members : null;
    const dropoutRate =
      capabilities.needsSampling && typeof settings.options.rate === 'number' ? settings.options.rate : undefined;
    this.samplesAtPrediction = capabilities.needsSampling;
    this.weightDecay = typeof settings.options.weightDecay === 'number' ? settings.options.weightDecay : 0;
    if (members !== null) {
      // Checkpoint names are member1/..., member2/...: stable across processes and resumes.
      this.ensemble = new DeepEnsemble(
        members,
        (memberSeeds, index) =>
          makeNetwork({ dropoutRate, namePrefix: `member${index + 1}/`, meanAndVariance: true }, memberSeeds),
        seeds,
      );
      this.networks = this.ensemble.members;
      this.fixedDraws = members;
    } else {
      this.ensemble = null;
      this.networks = [makeNetwork({ dropoutRate, meanAndVariance: false }, seeds)];
      this.fixedDraws = capabilities.needsSampling ? undefined : 1;
    }
  }

  get trainableVariables(): tf.Variable[] {
    return this.networks.flatMap((network) => network.trainableVariables);
  }

  get parameterCount(): number {
    return this.networks.reduce((sum, network) => sum + network.parameterCount, 0);
  }

  /** The raw output (logits, or a member's mean and raw variance) of prediction pass `draw`. */
  drawOutput(input: tf.Tensor, draw: number, seed: number): tf.Tensor {
    const network = this.ensemble ? this.networks[draw] : this.networks[0];
    const mode = this.samplesAtPrediction ? 'draw' : 'mean';
    return network.apply(input, { mode, seeds: new SeedStream(seed, draw) });
  }

  dispose(): void {
    for (const network of this.networks) network.dispose();
  }
}

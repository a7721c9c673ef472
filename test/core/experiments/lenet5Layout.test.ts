/**
 * LeNet5's two layouts (core/experiments/lenet5/layout.ts): the classic net keeps its 61,706
 * weights and every default; `convPadding: 'same'` (uncertainty-baselines' net) has 545,546, in the
 * point-weight and the variational network alike, predicts 10 classes, survives a checkpoint, and
 * costs more memory in the budget.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { lenet5ConfigSchema } from '../../../core/contract/runConfig';
import { stableVariableName } from '../../../core/engine/variables';
import { lenet5Budget } from '../../../core/experiments/lenet5/budget';
import { lenet5Layout } from '../../../core/experiments/lenet5/layout';
import { lenet5Network } from '../../../core/experiments/lenet5/network';
import { lenet5Presets } from '../../../core/experiments/lenet5/presets';
import type { PointModel } from '../../../core/methods/pointModel';
import { pointLenet5Network } from '../../../core/models/pointNetworks';
import { lenet5FromCheckpoint } from '../../../core/ood/checkpointNetwork';
import { SeedStream } from '../../../core/random/seedStream';
import { useCpuBackend } from '../../fixtures/testBackend';

beforeAll(useCpuBackend);

const count = (variables: tf.Variable[]) => variables.reduce((sum, variable) => sum + variable.size, 0);

describe('LeNet5 layouts', () => {
  it('counts 61,706 weights classic and 545,546 all-SAME, in both networks', () => {
    expect(lenet5Layout('classic').parameterCount).toBe(61_706);
    expect(lenet5Layout('same').parameterCount).toBe(545_546);
    for (const convPadding of ['classic', 'same'] as const) {
      const point = pointLenet5Network({ convPadding }, new SeedStream(1));
      expect(count(point.trainableVariables)).toBe(lenet5Layout(convPadding).parameterCount);
      const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', convPadding });
      const variational = lenet5Network(config, new SeedStream(1));
      // A mean-field posterior has a location and a scale per weight (the fixed prior trains nothing).
      expect(count(variational.trainableVariables)).toBe(2 * lenet5Layout(convPadding).parameterCount);
      const images = tf.zeros([3, 28, 28, 1]);
      expect(point.apply(images, { mode: 'mean', seeds: new SeedStream(2) }).shape).toEqual([3, 10]);
      const { output, kl } = variational.apply(images, { mode: 'sample', seeds: new SeedStream(2) });
      expect(output.shape).toEqual([3, 10]);
      tf.dispose([images, output, kl]);
      point.dispose();
      variational.dispose();
    }
  });

  it('keeps the classic layout as the default and gives the uncertainty-baselines preset the SAME one', () => {
    expect(lenet5ConfigSchema.parse({ experiment: 'lenet5' }).convPadding).toBe('classic');
    const ub = lenet5Presets.find((preset) => preset.name === 'fashion-mnist-ub')!.config;
    expect(ub).toMatchObject({
      convPadding: 'same',
      dataset: 'fashion-mnist',
      steps: 5000,
      batchSize: 256,
      weightDecay: 0,
    });
    const short = lenet5Presets.find((preset) => preset.name === 'fashion-mnist-ub-2k')!.config;
    expect(short).toEqual({ ...ub, preset: 'fashion-mnist-ub-2k', steps: 2000 });
  });

  it('rebuilds a SAME-padded deterministic run from its checkpoint with the same predictions', () => {
    const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', convPadding: 'same', method: 'deterministic' });
    const trained = pointLenet5Network({ convPadding: 'same' }, new SeedStream(5));
    const variables = trained.trainableVariables.map((variable) => ({
      name: stableVariableName(variable.name),
      shape: [...variable.shape],
      values: new Float32Array(variable.dataSync()),
    }));
    const rebuilt = lenet5FromCheckpoint(config, variables);
    const images = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 3);
    const seeds = () => new SeedStream(4);
    const before = trained.apply(images, { mode: 'mean', seeds: seeds() }).dataSync();
    const after = (rebuilt as PointModel).networks[0].apply(images, { mode: 'mean', seeds: seeds() }).dataSync();
    expect(Array.from(after)).toEqual(Array.from(before));
  });

  it('budgets more memory for the SAME layout (its activations are twice the classic ones)', () => {
    const classic = lenet5Budget(lenet5ConfigSchema.parse({ experiment: 'lenet5', batchSize: 4096, evalDraws: 1 }));
    const same = lenet5Budget(
      lenet5ConfigSchema.parse({ experiment: 'lenet5', batchSize: 4096, evalDraws: 1, convPadding: 'same' }),
    );
    expect(lenet5Layout('same').activationsPerImage / lenet5Layout('classic').activationsPerImage).toBeCloseTo(
      15_774 / 8_094,
      6,
    );
    expect(same.memory.bytes).toBeGreaterThan(1.5 * classic.memory.bytes);
  });
});

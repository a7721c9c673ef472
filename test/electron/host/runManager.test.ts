/** A run's default name: experiment, preset and seed, and the method when it is not VI. */
import { describe, expect, it } from 'vitest';
import { lenet5ConfigSchema, sinusoidConfigSchema } from '../../../core/contract/runConfig';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import { defaultRunName } from '../../../electron/host/runManager';

describe('defaultRunName', () => {
  it('names the method (and an ensemble its size) so runs that differ only in their method differ in name', () => {
    const sinusoid = (overrides: Record<string, unknown>) =>
      sinusoidConfigSchema.parse({ ...sinusoidPresets[0].config, seed: 2, ...overrides });
    expect(defaultRunName(sinusoid({}))).toBe('sinusoid · default · seed 2');
    expect(defaultRunName(sinusoid({ method: 'mcDropout' }))).toBe('sinusoid · default · mc-dropout · seed 2');
    expect(defaultRunName(sinusoid({ method: 'ensemble', members: 3 }))).toBe(
      'sinusoid · default · ensemble 3 · seed 2',
    );
    const lenet5 = lenet5ConfigSchema.parse({ experiment: 'lenet5', preset: 'quick', method: 'deterministic' });
    expect(defaultRunName(lenet5)).toBe('lenet5 · quick · deterministic · seed 0');
  });
});

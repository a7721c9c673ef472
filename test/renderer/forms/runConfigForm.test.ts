/**
 * The new-run form's model: a preset's config survives the round trip through the form's text
 * values, every schema issue lands at the field it concerns in words a user can act on, and the
 * seed list of "Repeat with seeds…" is parsed or explained.
 */
import { describe, expect, it } from 'vitest';
import { listExperimentInfos } from '../../../core/experiments/registry';
import { lenet5Presets } from '../../../core/experiments/lenet5/presets';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import {
  configFromValues,
  effectiveKlWeight,
  fieldsFor,
  parseSeedList,
  valuesFromConfig,
} from '../../../renderer/src/forms/runConfigForm';

const lenet5 = lenet5Presets[0].config;

describe('runConfigForm', () => {
  it('round-trips every preset through the form values', () => {
    for (const preset of [...lenet5Presets, ...sinusoidPresets]) {
      const result = configFromValues(preset.config, valuesFromConfig(preset.config));
      expect(result.issues).toEqual({});
      expect(result.config).toEqual(preset.config);
    }
  });

  it('offers the choices of the contract', () => {
    const estimator = fieldsFor('lenet5').find((field) => field.key === 'estimator');
    expect(estimator?.options?.map((option) => option.value)).toEqual(['reparameterization', 'local', 'flipout']);
    const sinusoidEstimator = fieldsFor('sinusoid').find((field) => field.key === 'estimator');
    expect(sinusoidEstimator?.options?.map((option) => option.value)).toEqual(['reparameterization', 'local']);
  });

  it('offers the methods of the registry with each option field only where the method has it', () => {
    const fields = fieldsFor('sinusoid');
    const method = fields.find((field) => field.key === 'method');
    expect(method?.options?.map((option) => option.value)).toEqual(['vi', 'deterministic', 'mcDropout', 'ensemble']);
    const shown = (methodId: string) => {
      const values = { ...valuesFromConfig(sinusoidPresets[0].config), method: methodId };
      return fields.filter((field) => field.visible?.(values) ?? true).map((field) => field.key);
    };
    expect(shown('vi')).toContain('estimator');
    expect(shown('vi')).not.toContain('members');
    expect(shown('ensemble')).toEqual(expect.arrayContaining(['members', 'weightDecay']));
    expect(shown('ensemble')).not.toContain('dropout');
    expect(shown('ensemble')).not.toContain('estimator');
    expect(shown('mcDropout')).toEqual(expect.arrayContaining(['dropout', 'weightDecay']));
    expect(shown('deterministic')).not.toContain('prior.kind');

    const values = { ...valuesFromConfig(lenet5), method: 'ensemble', members: '3' };
    const result = configFromValues(lenet5, values);
    expect(result.issues).toEqual({});
    expect(result.config).toMatchObject({ method: 'ensemble', members: 3 });
    const single = configFromValues(lenet5, { ...values, members: '1' });
    expect(single.config).toBeNull();
    expect(single.issues.method).toMatch(/at least 2 members/);
  });

  it('explains invalid values at their fields', () => {
    const values = valuesFromConfig(lenet5);
    const result = configFromValues(lenet5, {
      ...values,
      steps: '0',
      learningRate: 'fast',
      batchSize: '1.5',
      threshold: '2',
    });
    expect(result.config).toBeNull();
    expect(result.issues.steps).toBe('must be ≥ 1');
    expect(result.issues.learningRate).toBe('“fast” is not a number');
    expect(result.issues.batchSize).toBe('must be a whole number');
    expect(result.issues.threshold).toBe('must be ≤ 1');
  });

  it('reads a blank KL weight as the default and says what it amounts to', () => {
    const values = { ...valuesFromConfig(lenet5), klWeight: '' };
    expect(configFromValues(lenet5, values).config?.klWeight).toBeNull();
    const hints = listExperimentInfos().find((experiment) => experiment.name === 'lenet5')!;
    const textbook = { ...values, klScale: '1' };
    expect(effectiveKlWeight('lenet5', textbook, { trainImages: hints.trainImages })).toContain('1/9,000');
    expect(
      effectiveKlWeight('lenet5', { ...textbook, dataset: 'fashion-mnist' }, { trainImages: hints.trainImages }),
    ).toContain('1/60,000');
    // A tempered KL: klScale / N_train.
    expect(effectiveKlWeight('lenet5', { ...values, klScale: '0.15' }, { trainImages: hints.trainImages })).toContain(
      '0.15/9,000 ≈ 0.0000167',
    );
    expect(effectiveKlWeight('lenet5', values)).toContain('set when the run loads its dataset'); // a host that gives no sizes
    expect(configFromValues(lenet5, { ...values, klWeight: '0.001' }).config?.klWeight).toBe(0.001);
  });

  it('builds the chosen prior from its own fields and checks the KL form against it', () => {
    const values = { ...valuesFromConfig(lenet5), 'prior.kind': 'scaleMixture', kl: 'analytic' };
    expect(configFromValues(lenet5, values).issues.kl).toContain('Monte Carlo');
    const result = configFromValues(lenet5, { ...values, kl: 'monteCarlo', 'prior.pi': '0.5' });
    expect(result.config?.prior).toEqual({ kind: 'scaleMixture', pi: 0.5, sigma1: 1, sigma2: 0.1, learned: true });
  });

  it('composes an IDX dataset from its folder and explains a missing one', () => {
    const values = { ...valuesFromConfig(lenet5), dataset: 'idx', datasetPath: '' };
    expect(configFromValues(lenet5, values).issues.datasetPath).toContain('idx:/path/to/folder');
    const config = configFromValues(lenet5, { ...values, datasetPath: '/data/kmnist' }).config;
    expect(config?.experiment === 'lenet5' && config.dataset).toBe('idx:/data/kmnist');
  });

  it('parses seed lists', () => {
    expect(parseSeedList('')).toBeNull();
    expect(parseSeedList('0-4')).toEqual({ seeds: [0, 1, 2, 3, 4] });
    expect(parseSeedList('0, 1,2, 1')).toEqual({ seeds: [0, 1, 2] });
    expect(parseSeedList('3-5, 9')).toEqual({ seeds: [3, 4, 5, 9] });
    expect(parseSeedList('5-3')).toMatchObject({ error: expect.stringContaining('backwards') });
    expect(parseSeedList('a')).toMatchObject({ error: expect.stringContaining('0-4') });
    expect(parseSeedList('0-100')).toMatchObject({ error: expect.stringContaining('more than 50') });
  });
});

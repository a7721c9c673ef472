/**
 * Priors and estimators are registries: the rule "a prior without a closed-form KL takes the Monte
 * Carlo KL" is one capability, enforced by every experiment's schema alike, and the run form's
 * choices are the registries' entries.
 */
import { describe, expect, it } from 'vitest';
import { experimentDescriptors } from '../../../core/experiments/descriptors';
import { estimatorSpecs } from '../../../core/estimators/index';
import { defaultKlForm, priorKinds } from '../../../core/priors/kinds/index';
import { fieldsFor } from '../../../renderer/src/forms/runConfigForm';

describe('prior and estimator registries', () => {
  it('refuses the analytic KL exactly for the priors without a closed form, in every experiment', () => {
    for (const descriptor of experimentDescriptors) {
      const base = descriptor.presets[0].config;
      for (const kind of priorKinds) {
        const analytic = descriptor.configSchema.safeParse({ ...base, prior: { kind: kind.kind }, kl: 'analytic' });
        expect(analytic.success, `${descriptor.name} with ${kind.kind}`).toBe(kind.hasClosedFormKl);
        if (!analytic.success)
          expect(analytic.error.issues[0]).toMatchObject({
            path: ['kl'],
            message: expect.stringContaining('has no closed-form KL'),
          });
        expect(
          descriptor.configSchema.safeParse({ ...base, prior: { kind: kind.kind }, kl: 'monteCarlo' }).success,
        ).toBe(true);
        expect(defaultKlForm(kind.kind)).toBe(kind.hasClosedFormKl ? 'analytic' : 'monteCarlo');
      }
    }
    expect(priorKinds.filter((kind) => !kind.hasClosedFormKl).map((kind) => kind.kind)).toEqual(['scaleMixture']);
  });

  it('puts every registered prior in every form, with its own settings shown only when chosen', () => {
    for (const descriptor of experimentDescriptors) {
      const fields = fieldsFor(descriptor.name);
      expect(fields.find((field) => field.key === 'prior.kind')?.options?.map((option) => option.value)).toEqual(
        priorKinds.map((kind) => kind.kind),
      );
      for (const kind of priorKinds) {
        for (const own of kind.fields) {
          const field = fields.find((candidate) => candidate.key === own.key)!;
          expect(field.visible?.({ 'prior.kind': kind.kind })).toBe(true);
          expect(field.visible?.({ 'prior.kind': 'another' })).toBe(false);
        }
      }
    }
    const lenet5Estimators = fieldsFor('lenet5').find((field) => field.key === 'estimator')?.options;
    expect(lenet5Estimators?.map((option) => option.value)).toEqual(estimatorSpecs.map((spec) => spec.name));
    expect(lenet5Estimators?.find((option) => option.value === 'local')?.label).toBe('local reparameterization');
  });
});

import { describe, expect, it } from 'vitest';
import {
  assertMethodCombination,
  describePasses,
  hasEpistemicPart,
  MethodCombinationError,
  methodFromCliName,
  methods,
  METHOD_IDS,
  trainedMethodsFor,
  validateMethodCombination,
} from '../../../core/methods';
import { lenet5ConfigSchema } from '../../../core/experiments/lenet5/config';
import { descriptorOf, posthocBaseOf } from '../../../core/experiments/registry';
import { runConfigSchema } from '../../../core/contract/runConfig';
import { describeSettings } from '../../../core/figures/caption';

const refusal = (combination: Parameters<typeof validateMethodCombination>[0]): string => {
  const result = validateMethodCombination(combination);
  if (result.ok) throw new Error(`Expected ${JSON.stringify(combination)} to be refused.`);
  return result.message;
};

describe('method registry', () => {
  it('has one descriptor per method id, each with a label, schema defaults and capabilities', () => {
    expect(Object.keys(methods).sort()).toEqual([...METHOD_IDS].sort());
    for (const method of Object.values(methods)) {
      expect(method.label.length).toBeGreaterThan(0);
      expect(method.optionsSchema.safeParse({}).success).toBe(true);
      if (method.capabilities.postHoc) expect(method.capabilities.requiresMethod?.length).toBeGreaterThan(0);
    }
    expect(methods.laplace.optionsSchema.parse({})).toEqual({
      hessian: 'kron',
      priorPrecision: 'marginalLikelihood',
      predictive: 'probit',
      samples: 100,
      validationFraction: 0.1,
    });
    expect(methods.vi.optionsSchema.parse({})).toEqual({ estimator: 'flipout' });
  });

  it('maps CLI names to methods and says which names exist', () => {
    expect(methodFromCliName('mc-dropout').id).toBe('mcDropout');
    expect(methodFromCliName('temperature').id).toBe('temperatureScaling');
    expect(() => methodFromCliName('swag')).toThrow(
      'There is no method called "swag"; the methods are vi, deterministic, mc-dropout, ensemble, temperature, laplace.',
    );
  });

  it("knows which runs have an epistemic part (temperature scaling inherits its base run's)", () => {
    expect(hasEpistemicPart('deterministic')).toBe(false);
    expect(hasEpistemicPart('ensemble')).toBe(true);
    expect(hasEpistemicPart('temperatureScaling', 'deterministic')).toBe(false);
    expect(hasEpistemicPart('temperatureScaling', 'vi')).toBe(true);
    expect(hasEpistemicPart('laplace', 'deterministic')).toBe(true);
  });

  it('captions a point-weight run by its method, a VI run by its estimator, prior and KL', () => {
    const caption = (values: Record<string, unknown>) =>
      describeSettings(runConfigSchema.parse({ experiment: 'lenet5', seed: 3, ...values }));
    const ensemble = caption({ method: 'ensemble', members: 5 });
    expect(ensemble).toContain('deep ensemble of 5, weight decay 0.0005 · Adam 0.001');
    expect(ensemble).not.toMatch(/prior|KL|flipout|draws/);
    expect(caption({ method: 'mcDropout', dropout: 0.2 })).toContain(
      'MC dropout p = 0.2, T = 50 passes, weight decay 0.0005',
    );
    expect(caption({ method: 'deterministic' })).toContain('LeNet5 on mnist · MAP, weight decay 0.0005 · Adam');
    expect(caption({})).toMatch(/LeNet5 on mnist · flipout · N\(0, 1²\) prior · analytic KL.* · T = 50 draws · seed 3/);
    const sinusoid = describeSettings(
      runConfigSchema.parse({ ...descriptorOf('sinusoid').presets[0].config, method: 'ensemble', members: 3 }),
    );
    expect(sinusoid).toContain('deep ensemble of 3');
    expect(sinusoid).not.toMatch(/sample|prior/);
    // What an evaluation's passes were, in figure titles: draws for VI (and runs older than methods).
    expect(describePasses('ensemble', 5)).toBe('M = 5 members');
    expect(describePasses('mcDropout', 50)).toBe('T = 50 passes');
    expect(describePasses('deterministic', 1)).toBe('one pass');
    expect(describePasses('vi', 50)).toBe('T = 50 draws');
    expect(describePasses(undefined, 20)).toBe('T = 20 draws');
  });

  it('offers every trained method for both task kinds', () => {
    expect(trainedMethodsFor('regression').map((method) => method.id)).toEqual([
      'vi',
      'deterministic',
      'mcDropout',
      'ensemble',
    ]);
  });
});

describe('validateMethodCombination', () => {
  it('accepts sensible combinations and fills in defaults', () => {
    const ensemble = validateMethodCombination({ method: 'ensemble', taskKind: 'regression', options: { members: 3 } });
    expect(ensemble).toMatchObject({ ok: true, options: { members: 3, weightDecay: 5e-4 } });
    expect(
      validateMethodCombination({ method: 'laplace', taskKind: 'classification', baseMethod: 'deterministic' }).ok,
    ).toBe(true);
    expect(
      validateMethodCombination({ method: 'temperatureScaling', taskKind: 'classification', baseMethod: 'vi' }).ok,
    ).toBe(true);
    expect(
      validateMethodCombination({ method: 'mcDropout', taskKind: 'classification', options: { rate: 0 } }).ok,
    ).toBe(true);
  });

  it('refuses Laplace on a VI run and says to train a deterministic run', () => {
    expect(refusal({ method: 'laplace', taskKind: 'classification', baseMethod: 'vi' })).toBe(
      'Last-layer Laplace cannot be applied to a Mean-field VI run. Last-layer Laplace puts a Gaussian around the point weights of a ' +
        'deterministic run; a Mean-field VI run has no single MAP to expand around and already has its own weight uncertainty. ' +
        'Train a deterministic run (method deterministic) and apply Laplace to it; temperature scaling works on any classification run.',
    );
    expect(refusal({ method: 'laplace', taskKind: 'regression', baseMethod: 'ensemble' })).toMatch(
      /cannot be applied to a Deep ensemble run\. .*Train a deterministic run/,
    );
  });

  it('refuses a validation-split fit on a classification run that held no split out, and reads the split from the run', () => {
    const lenet5 = (fields: Record<string, unknown>) => lenet5ConfigSchema.parse({ experiment: 'lenet5', ...fields });
    const vi = lenet5({});
    const deterministic = lenet5({ method: 'deterministic' });
    // VI trains on every image unless told otherwise; point-weight runs keep 0.1 back.
    expect(posthocBaseOf(vi)).toEqual({ taskKind: 'classification', baseMethod: 'vi', baseValidationFraction: 0 });
    expect(posthocBaseOf(deterministic).baseValidationFraction).toBe(0.1);
    expect(posthocBaseOf(lenet5({ validationFraction: 0.2 })).baseValidationFraction).toBe(0.2);
    expect(posthocBaseOf(lenet5({ method: 'deterministic', validationFraction: 0 })).baseValidationFraction).toBe(0);
    for (const [method, base] of [
      ['temperatureScaling', vi],
      ['laplace', lenet5({ method: 'deterministic', validationFraction: 0 })],
    ] as const) {
      expect(refusal({ method, ...posthocBaseOf(base) })).toMatch(
        /fits on a validation split held out of training, and this run trained on every training image.*validation fraction above 0/,
      );
    }
    expect(
      validateMethodCombination({ method: 'temperatureScaling', ...posthocBaseOf(lenet5({ validationFraction: 0.1 })) })
        .ok,
    ).toBe(true);
    expect(validateMethodCombination({ method: 'laplace', ...posthocBaseOf(deterministic) }).ok).toBe(true);
    // Regression Laplace chooses its prior precision by marginal likelihood: no split asked for.
    const sinusoid = posthocBaseOf({ experiment: 'sinusoid', method: 'deterministic' });
    expect(sinusoid).toEqual({ taskKind: 'regression', baseMethod: 'deterministic' });
    expect(validateMethodCombination({ method: 'laplace', ...sinusoid, baseValidationFraction: 0 }).ok).toBe(true);
  });

  it('refuses temperature scaling of a regression run and names what applies to regression', () => {
    expect(refusal({ method: 'temperatureScaling', taskKind: 'regression', baseMethod: 'deterministic' })).toBe(
      'Temperature scaling cannot be used on a regression run: it rescales class probabilities, which a regression run does not have. ' +
        'For regression, use one of: Mean-field VI, Deterministic (MAP), MC dropout, Deep ensemble, Last-layer Laplace.',
    );
  });

  it('refuses an ensemble of 1 and points to the deterministic method', () => {
    expect(refusal({ method: 'ensemble', taskKind: 'classification', options: { members: 1 } })).toBe(
      'An ensemble needs at least 2 members (found 1); a single member is the deterministic method: choose the deterministic method, ' +
        'or 2 or more members (5 for everyday use, 10 as in the published tables).',
    );
  });

  it('refuses dropout rates outside [0, 1)', () => {
    for (const rate of [1, 1.5, -0.1]) {
      expect(refusal({ method: 'mcDropout', taskKind: 'classification', options: { rate } })).toBe(
        `The dropout rate must be in [0, 1) (found ${rate}): it is the probability of dropping a unit, 0 keeps every unit ` +
          '(the deterministic net) and 1 would drop them all; 0.05–0.5 are usual.',
      );
    }
  });

  it('refuses a post-hoc method without a base run, a base run for a trained method, and unknown methods', () => {
    expect(refusal({ method: 'laplace', taskKind: 'classification' })).toBe(
      'Last-layer Laplace is applied to a stored run after training; name a Deterministic (MAP) run to apply it to.',
    );
    expect(refusal({ method: 'temperatureScaling', taskKind: 'classification', baseMethod: 'laplace' })).toMatch(
      /^Temperature scaling cannot be applied to a Last-layer Laplace run\. .*Apply temperature scaling to the run it was made from\.$/,
    );
    expect(refusal({ method: 'ensemble', taskKind: 'classification', baseMethod: 'deterministic' })).toBe(
      'Deep ensemble is a training method, not something applied to a stored run; only Temperature scaling and Last-layer Laplace are ' +
        'applied to runs. Start a new run with Deep ensemble instead.',
    );
    expect(refusal({ method: 'bootstrap', taskKind: 'regression' })).toMatch(
      /^There is no method called "bootstrap"; the methods are vi, /,
    );
  });

  it('throws the same message as a MethodCombinationError from assertMethodCombination', () => {
    expect(() =>
      assertMethodCombination({ method: 'ensemble', taskKind: 'regression', options: { members: 1 } }),
    ).toThrow(MethodCombinationError);
    expect(() =>
      assertMethodCombination({ method: 'ensemble', taskKind: 'regression', options: { members: 1 } }),
    ).toThrow(/at least 2 members \(found 1\)/);
  });
});

import { describe, expect, it } from 'vitest';
import { splitValues, sweepFileFromForm } from '../../../renderer/src/forms/sweepForm';

const base = { experiment: 'sinusoid' };

describe('the run form in sweep mode', () => {
  it('reads values as JSON where they parse and as text otherwise', () => {
    expect(splitValues('[20,20], [50], 3')).toEqual(['[20,20]', '[50]', '3']);
    const result = sweepFileFromForm({
      name: ' kl ',
      base,
      axes: [
        { key: 'learningRate', values: '0.01, 0.03' },
        { key: 'method', values: 'vi, mcDropout' },
        { key: '', values: '' },
      ],
      seeds: '0-2',
      search: 'grid',
      count: '',
    });
    expect(result).toEqual({
      file: {
        name: 'kl',
        base,
        axes: { learningRate: [0.01, 0.03], method: ['vi', 'mcDropout'] },
        seeds: [0, 1, 2],
        search: 'grid',
      },
      runs: 12,
    });
  });

  it('counts a random search by its count and says what is missing', () => {
    const random = sweepFileFromForm({
      name: 'r',
      base,
      axes: [{ key: 'learningRate', values: '0.01, 0.03, 0.1' }],
      seeds: '0,1',
      search: 'random',
      count: '2',
    });
    expect(random).toMatchObject({ runs: 4, file: { count: 2, search: 'random' } });
    expect(sweepFileFromForm({ name: '', base, axes: [], seeds: '0', search: 'grid', count: '' })).toEqual({
      error: 'A sweep needs a name.',
    });
    expect(
      sweepFileFromForm({ name: 'x', base, axes: [{ key: '', values: '1' }], seeds: '0', search: 'grid', count: '' }),
    ).toEqual({ error: 'Axis 1 has values but no key; choose the setting to sweep.' });
    expect(
      sweepFileFromForm({ name: 'x', base, axes: [{ key: 'a', values: '1' }], seeds: '', search: 'grid', count: '' }),
    ).toEqual({ error: 'A sweep needs seeds, e.g. 0-2 or 0,1,2.' });
    expect(
      sweepFileFromForm({
        name: 'x',
        base,
        axes: [{ key: 'a', values: '1' }],
        seeds: '0',
        search: 'random',
        count: 'x',
      }),
    ).toMatchObject({ error: expect.stringMatching(/count/) });
  });
});

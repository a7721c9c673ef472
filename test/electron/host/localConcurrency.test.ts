import { describe, expect, it } from 'vitest';
import { defaultSweepConcurrency, parseConcurrency } from '../../../electron/host/localConcurrency';

const GiB = 1024 ** 3;

describe('local concurrency', () => {
  it('trains one wasm/cpu run per core, as memory allows, and one with libtensorflow', () => {
    expect(defaultSweepConcurrency({ cores: 2, totalMemoryBytes: 24 * GiB, tensorflowInstalled: false }).runs).toBe(2);
    expect(defaultSweepConcurrency({ cores: 8, totalMemoryBytes: 4 * GiB, tensorflowInstalled: false }).runs).toBe(3);
    expect(defaultSweepConcurrency({ cores: 64, totalMemoryBytes: 256 * GiB, tensorflowInstalled: false }).runs).toBe(
      8,
    );
    expect(defaultSweepConcurrency({ cores: 1, totalMemoryBytes: 0.5 * GiB, tensorflowInstalled: false }).runs).toBe(1);
    const tensorflow = defaultSweepConcurrency({ cores: 8, totalMemoryBytes: 32 * GiB, tensorflowInstalled: true });
    expect(tensorflow).toEqual({ runs: 1, reason: expect.stringMatching(/libtensorflow/) });
  });

  it('refuses a --concurrency outside 1…8 with the range', () => {
    expect(parseConcurrency('3')).toBe(3);
    for (const bad of ['0', '9', '1.5', 'two', ''])
      expect(() => parseConcurrency(bad)).toThrow(/whole number of runs from 1 to 8/);
  });
});

import { describe, expect, it, vi } from 'vitest';
import { sinusoidConfigSchema } from '../../../core/contract/runConfig';
import type { RunEvent } from '../../../core/contract/runEvent';
import { WorkbenchApiError, type RunRecord } from '../../../core/contract/workbenchApi';
import { createApiHandler, type WorkbenchServices } from '../../../electron/host/apiHandler';

const config = sinusoidConfigSchema.parse({
  experiment: 'sinusoid',
  epochs: 10,
  learningRate: 0.03,
  prior: { kind: 'normal' },
  kl: 'analytic',
  init: {},
});
const stored: RunRecord = {
  id: 'run-1',
  name: 'run 1',
  tags: [],
  config,
  state: 'completed',
  createdAt: '2026-01-01T00:00:00.000Z',
  step: 10,
  totalSteps: 10,
};

function fakeServices(overrides: Partial<WorkbenchServices['runs']> = {}) {
  const listeners = new Set<(event: RunEvent) => void>();
  const warnings: string[] = [];
  const runs: WorkbenchServices['runs'] = {
    listRuns: async () => ({
      runs: [stored],
      damaged: [{ id: 'broken', reason: 'runs/broken/run.json is not valid JSON.' }],
    }),
    getRun: async (id) => {
      if (id !== stored.id) throw new Error(`There is no run "${id}".`);
      return stored;
    },
    getRunEvents: async () => [],
    startRun: vi.fn(async ({ config: runConfig }) => ({
      ...stored,
      id: 'run-2',
      state: 'queued' as const,
      config: sinusoidConfigSchema.parse(runConfig),
    })),
    stopRun: vi.fn(async () => undefined),
    pauseRun: vi.fn(async () => undefined),
    resumeRun: vi.fn(async () => ({ ...stored, state: 'queued' as const })),
    deleteRun: vi.fn(async () => undefined),
    renameRun: vi.fn(async (_id: string, name: string) => ({ ...stored, name })),
    setRunTags: vi.fn(async (_id: string, tags: string[]) => ({ ...stored, tags })),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ...overrides,
  };
  const services: WorkbenchServices = {
    runs,
    listExperiments: () => [],
    environment: () => ({ shell: 'test', version: '0.1.0', runsDir: '/tmp/runs' }),
    warn: (message) => warnings.push(message),
  };
  return { services, runs, listeners, warnings };
}

describe('createApiHandler', () => {
  it('answers a valid call with the validated result', async () => {
    const { services } = fakeServices();
    const api = createApiHandler(services);
    await expect(api.call('getEnvironment', [])).resolves.toEqual({
      shell: 'test',
      version: '0.1.0',
      runsDir: '/tmp/runs',
    });
    await expect(api.call('getRun', ['run-1'])).resolves.toMatchObject({ id: 'run-1', state: 'completed' });
  });

  it('refuses unknown methods, including names inherited from Object.prototype', async () => {
    const api = createApiHandler(fakeServices().services);
    await expect(api.call('deleteEverything', [])).rejects.toThrow(
      /There is no API method "deleteEverything"; the methods are getEnvironment/,
    );
    await expect(api.call('toString', [])).rejects.toThrow(WorkbenchApiError);
    await expect(api.call('__proto__', [])).rejects.toThrow(/no API method/);
  });

  it('refuses bad arguments with a message naming the method and the argument', async () => {
    const { services, runs } = fakeServices();
    const api = createApiHandler(services);
    await expect(api.call('getRun', 'run-1')).rejects.toThrow(
      'getRun: the arguments must be a list, found the string "run-1".',
    );
    await expect(api.call('getRun', [])).rejects.toThrow(/^getRun: the arguments are not valid: /);
    await expect(api.call('getRun', ['../../etc/passwd'])).rejects.toThrow(
      /argument 0: a run id has only letters, digits/,
    );
    await expect(api.call('startRun', [{ config: { ...config, epochs: -5 } }])).rejects.toThrow(
      /startRun: .*argument 0\.config\.epochs/,
    );
    await expect(api.call('startRun', [{ config: { experiment: 'mnist' } }])).rejects.toThrow(
      /startRun: the arguments are not valid/,
    );
    expect(runs.startRun).not.toHaveBeenCalled();
  });

  it('passes parsed arguments (defaults filled in) to the services', async () => {
    const { services, runs } = fakeServices();
    const api = createApiHandler(services);
    const input = {
      experiment: 'sinusoid',
      epochs: 5,
      learningRate: 0.03,
      prior: { kind: 'normal' },
      kl: 'analytic',
      init: {},
    };
    const result = await api.call('startRun', [{ config: input }]);
    expect(runs.startRun).toHaveBeenCalledWith({
      config: expect.objectContaining({ epochs: 5, samplesPerStep: 1, backend: 'auto', init: { muStd: 0.1, rho: -5 } }),
    });
    expect(result).toMatchObject({ id: 'run-2', state: 'queued' });
    await expect(api.call('stopRun', ['run-2'])).resolves.toBeNull();
  });

  it('wraps service failures in a WorkbenchApiError that keeps their message', async () => {
    const api = createApiHandler(fakeServices().services);
    const failure = api.call('getRun', ['missing']);
    await expect(failure).rejects.toBeInstanceOf(WorkbenchApiError);
    await expect(failure).rejects.toThrow('getRun: There is no run "missing".');
  });

  it('refuses a result that breaks the contract instead of passing it on', async () => {
    const { services } = fakeServices({
      getRun: async () => ({ ...stored, state: 'exploded' }) as unknown as RunRecord,
    });
    const api = createApiHandler(services);
    await expect(api.call('getRun', ['run-1'])).rejects.toThrow(/does not match the API .*this is a bug/);
  });

  it('lists runs and damaged folders with the reason, in the answer (not only on stderr)', async () => {
    const { services } = fakeServices();
    const api = createApiHandler(services);
    await expect(api.call('listRuns', [])).resolves.toEqual([
      stored,
      { id: 'broken', damaged: { reason: 'runs/broken/run.json is not valid JSON.' } },
    ]);
  });

  it('forwards run events to subscribers until they unsubscribe', () => {
    const { services, listeners } = fakeServices();
    const api = createApiHandler(services);
    const received: RunEvent[] = [];
    const unsubscribe = api.onRunEvent((event) => received.push(event));
    const event: RunEvent = { type: 'status', runId: 'run-1', step: 0, time: 0, state: 'running' };
    for (const listener of listeners) listener(event);
    unsubscribe();
    expect(listeners.size).toBe(0);
    expect(received).toEqual([event]);
  });
});

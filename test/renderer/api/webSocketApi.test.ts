/**
 * The browser shell's WebSocket client against a scripted socket: wire protocol, errors thrown
 * again as WorkbenchApiError, pushed events validated, and reconnection with a visible state.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkbenchApiError } from '../../../core/contract/workbenchApi';
import { createWebSocketHost, webSocketUrlFor } from '../../../renderer/src/api/webSocketApi';
import type { ConnectionStatus } from '../../../renderer/src/api/workbenchHost';

class ScriptedSocket extends EventTarget {
  static readonly OPEN = 1;
  static instances: ScriptedSocket[] = [];
  readyState = 0;
  readonly sent: Array<{ id: number; method: string; args: unknown[] }> = [];

  constructor(readonly url: string) {
    super();
    ScriptedSocket.instances.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  open(): void {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  receive(message: unknown): void {
    this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(message) }));
  }
  drop(): void {
    this.readyState = 3;
    this.dispatchEvent(new Event('close'));
  }
}

const latestSocket = () => ScriptedSocket.instances.at(-1)!;
const record = {
  id: 'run-1',
  name: 'sinusoid · default · seed 0',
  config: {
    experiment: 'sinusoid',
    epochs: 10,
    learningRate: 0.03,
    prior: { kind: 'normal', scale: 1 },
    kl: 'analytic',
    init: {},
  },
  state: 'queued',
  createdAt: '2026-01-01T00:00:00.000Z',
  totalSteps: 10,
};

beforeEach(() => {
  ScriptedSocket.instances = [];
  vi.stubGlobal('WebSocket', ScriptedSocket);
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('webSocketUrlFor', () => {
  it('keeps the host, switches to ws(s) and carries the token', () => {
    expect(webSocketUrlFor({ protocol: 'http:', host: '127.0.0.1:4321', search: '?token=a+b' } as Location)).toBe(
      'ws://127.0.0.1:4321/api?token=a%20b',
    );
    expect(webSocketUrlFor({ protocol: 'https:', host: 'example.test', search: '' } as Location)).toBe(
      'wss://example.test/api?token=',
    );
  });
});

describe('createWebSocketHost', () => {
  it('sends requests made before the socket opened, then resolves with the parsed result', async () => {
    const { api, connection } = createWebSocketHost('ws://host/api?token=t');
    expect(connection.status.state).toBe('connecting');
    const listed = api.listRuns();
    expect(latestSocket().sent).toEqual([]);
    latestSocket().open();
    expect(latestSocket().sent).toEqual([{ id: 1, method: 'listRuns', args: [] }]);
    latestSocket().receive({ id: 1, ok: true, result: [record] });
    const [run] = await listed;
    // Parsed with the contract's schema, so defaults are filled in.
    expect('config' in run && run.tags).toEqual([]);
    expect('config' in run && run.config.seed).toBe(0);
  });

  it('throws a host error again as a WorkbenchApiError naming the method', async () => {
    const { api } = createWebSocketHost('ws://host/api');
    latestSocket().open();
    const failing = api.getRun('missing');
    latestSocket().receive({ id: 1, ok: false, error: 'There is no run "missing".' });
    await expect(failing).rejects.toThrow(WorkbenchApiError);
    await expect(failing).rejects.toMatchObject({ message: 'There is no run "missing".', method: 'getRun' });
  });

  it('delivers valid pushed events and drops malformed ones', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { api } = createWebSocketHost('ws://host/api');
    latestSocket().open();
    const received: unknown[] = [];
    const unsubscribe = api.onRunEvent((event) => received.push(event));
    const progress = {
      type: 'progress',
      runId: 'run-1',
      step: 3,
      time: 1,
      total: 10,
      stepsPerSecond: 5,
      etaSeconds: 1.4,
    };
    latestSocket().receive({ event: progress });
    latestSocket().receive({ event: { ...progress, step: -1 } });
    unsubscribe();
    latestSocket().receive({ event: progress });
    expect(received).toEqual([progress]);
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });

  it('fails requests in flight when the socket drops, says so, and reconnects with backoff', async () => {
    const { api, connection } = createWebSocketHost('ws://host/api', { firstRetryMs: 100, maxRetryMs: 1000 });
    const states: ConnectionStatus['state'][] = [];
    connection.onChange((status) => states.push(status.state));
    latestSocket().open();
    const inFlight = api.listRuns();
    latestSocket().drop();
    await expect(inFlight).rejects.toThrow(/connection to the workbench host was lost/);
    expect(connection.status.state).toBe('disconnected');

    vi.advanceTimersByTime(100);
    expect(ScriptedSocket.instances).toHaveLength(2);
    latestSocket().drop();
    vi.advanceTimersByTime(199);
    expect(ScriptedSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(ScriptedSocket.instances).toHaveLength(3);

    const later = api.listExperiments();
    latestSocket().open();
    expect(states).toEqual(['connected', 'disconnected', 'disconnected', 'connected']);
    latestSocket().receive({ id: latestSocket().sent[0].id, ok: true, result: [] });
    await expect(later).resolves.toEqual([]);
  });
});

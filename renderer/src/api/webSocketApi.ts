/**
 * The browser-shell host: a WebSocket to `serve.ts` speaking the wire protocol of the contract.
 * Requests are `{id, method, args}`, replies `{id, ok, result | error}`, pushed events `{event}`.
 * The socket reconnects with exponential backoff; requests made while it is down wait for it,
 * requests in flight when it drops fail with a WorkbenchApiError that says so.
 */
import {
  apiMethodNames,
  apiMethods,
  WorkbenchApiError,
  type ApiMethodName,
  type WireReply,
  type WireRequest,
  type WorkbenchApi,
  type WorkbenchRequests,
} from '../../../core/contract/workbenchApi';
import type { RunEvent } from '../../../core/contract/runEvent';
import { parsePushedEvent, type ConnectionStatus, type WorkbenchConnection, type WorkbenchHost } from './workbenchHost';

export interface WebSocketHostOptions {
  /** First retry delay; doubled on every failed attempt up to `maxRetryMs`. */
  firstRetryMs?: number;
  maxRetryMs?: number;
}

interface PendingRequest {
  method: ApiMethodName;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** `ws(s)://<host>/api?token=<token>` for the page the browser shell served. */
export function webSocketUrlFor(location: Location): string {
  const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = new URLSearchParams(location.search).get('token') ?? '';
  return `${protocol}//${location.host}/api?token=${encodeURIComponent(token)}`;
}

export function createWebSocketHost(url: string, options: WebSocketHostOptions = {}): WorkbenchHost {
  const firstRetryMs = options.firstRetryMs ?? 500;
  const maxRetryMs = options.maxRetryMs ?? 10_000;

  let socket: WebSocket | null = null;
  let status: ConnectionStatus = { state: 'connecting' };
  let failedAttempts = 0;
  let nextId = 1;
  const pending = new Map<number, PendingRequest>();
  /** Requests made while the socket was not open, sent in order once it is. */
  const unsent: WireRequest[] = [];
  const eventListeners = new Set<(event: RunEvent) => void>();
  const statusListeners = new Set<(status: ConnectionStatus) => void>();

  function setStatus(next: ConnectionStatus): void {
    status = next;
    for (const listener of statusListeners) listener(status);
  }

  function connect(): void {
    const attempt = new WebSocket(url);
    socket = attempt;
    attempt.addEventListener('open', () => {
      failedAttempts = 0;
      setStatus({ state: 'connected' });
      for (const request of unsent.splice(0)) attempt.send(JSON.stringify(request));
    });
    attempt.addEventListener('message', (message) => handleMessage(message.data));
    attempt.addEventListener('close', () => {
      if (socket !== attempt) return;
      socket = null;
      for (const [id, request] of pending) {
        if (unsent.some((queued) => queued.id === id)) continue;
        pending.delete(id);
        request.reject(
          new WorkbenchApiError(
            `The connection to the workbench host was lost while "${request.method}" was running; try again once it is back.`,
            request.method,
          ),
        );
      }
      const delay = Math.min(maxRetryMs, firstRetryMs * 2 ** failedAttempts);
      failedAttempts += 1;
      setStatus({
        state: 'disconnected',
        detail: `Lost the connection to the workbench host; retrying in ${Math.ceil(delay / 1000)} s.`,
      });
      setTimeout(connect, delay);
    });
  }

  function handleMessage(data: unknown): void {
    let message: unknown;
    try {
      message = JSON.parse(String(data));
    } catch {
      console.warn('Dropped a message from the workbench host that is not JSON.');
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    if ('event' in message) {
      const event = parsePushedEvent(message.event);
      if (event) for (const listener of eventListeners) listener(event);
      return;
    }
    settle(message as WireReply);
  }

  function settle(reply: WireReply): void {
    const request = reply.id === null ? undefined : pending.get(reply.id);
    if (!request) {
      if (!reply.ok) console.warn(`The workbench host reported an error: ${reply.error}`);
      return;
    }
    pending.delete(reply.id as number);
    if (!reply.ok) {
      request.reject(new WorkbenchApiError(reply.error, request.method));
      return;
    }
    // Parsed again on this side: it applies the schema defaults and turns a version skew
    // between renderer and host into a clear error instead of a broken view.
    const parsed = apiMethods[request.method].result.safeParse(reply.result);
    if (parsed.success) request.resolve(parsed.data);
    else
      request.reject(
        new WorkbenchApiError(
          `The host's reply to "${request.method}" does not match the contract: ${parsed.error.message}`,
          request.method,
        ),
      );
  }

  function call(method: ApiMethodName, args: unknown[]): Promise<unknown> {
    const request: WireRequest = { id: nextId++, method, args };
    return new Promise((resolve, reject) => {
      pending.set(request.id, { method, resolve, reject });
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(request));
      else unsent.push(request);
    });
  }

  const requests = Object.fromEntries(
    apiMethodNames.map((method) => [method, (...args: unknown[]) => call(method, args)]),
  ) as WorkbenchRequests;

  const api: WorkbenchApi = {
    ...requests,
    onRunEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
  };

  const connection: WorkbenchConnection = {
    get status() {
      return status;
    },
    onChange(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
  };

  connect();
  return { api, connection };
}

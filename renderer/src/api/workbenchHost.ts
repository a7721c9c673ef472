/**
 * What the renderer holds of its host: the one `WorkbenchApi` plus the state of the connection to
 * it. The Electron preload is always connected; the browser shell's WebSocket can drop and come
 * back, and the UI says so instead of failing silently.
 */
import type { WorkbenchApi } from '../../../core/contract/workbenchApi';
import { WorkbenchApiError } from '../../../core/contract/workbenchApi';
import { runEventSchema, type RunEvent } from '../../../core/contract/runEvent';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

export interface ConnectionStatus {
  state: ConnectionState;
  /** A sentence for the user when not connected, e.g. when the next retry is due. */
  detail?: string;
}

export interface WorkbenchConnection {
  readonly status: ConnectionStatus;
  /** Calls `listener` on every change of the status; returns the unsubscribe function. */
  onChange(listener: (status: ConnectionStatus) => void): () => void;
}

export interface WorkbenchHost {
  api: WorkbenchApi;
  connection: WorkbenchConnection;
}

/**
 * Parses a pushed event; a malformed one is logged and dropped rather than thrown into a
 * listener, because one bad message must not stop the stream of a long run.
 */
export function parsePushedEvent(value: unknown): RunEvent | null {
  const parsed = runEventSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  console.warn(`Dropped a run event that does not match the contract: ${parsed.error.message}`);
  return null;
}

/** Turns whatever a transport threw into a WorkbenchApiError with the host's own sentence. */
export function toWorkbenchApiError(error: unknown, method: string): WorkbenchApiError {
  if (error instanceof WorkbenchApiError) return error;
  const raw = error instanceof Error ? error.message : String(error);
  // Electron wraps a rejected ipcMain.handle as "Error invoking remote method 'x': Error: msg".
  const message = raw.replace(/^Error invoking remote method '[^']*': /, '').replace(/^(?:\w*Error): /, '');
  return new WorkbenchApiError(message, method);
}

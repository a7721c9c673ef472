/**
 * The Electron host: `window.workbench`, exposed by the preload through contextBridge with one
 * function per API method plus `onRunEvent`. Class identity does not survive contextBridge, so
 * errors are rebuilt as WorkbenchApiError here and pushed events are validated again.
 */
import { apiMethodNames, type WorkbenchApi, type WorkbenchRequests } from '../../../core/contract/workbenchApi';
import { parsePushedEvent, toWorkbenchApiError, type WorkbenchHost } from './workbenchHost';

declare global {
  interface Window {
    /** Present only in the Electron shell. */
    workbench?: WorkbenchApi;
  }
}

export function createPreloadHost(bridge: WorkbenchApi): WorkbenchHost {
  const requests = Object.fromEntries(
    apiMethodNames.map((method) => [
      method,
      async (...args: unknown[]) => {
        try {
          return await (bridge[method] as (...a: unknown[]) => Promise<unknown>)(...args);
        } catch (error) {
          throw toWorkbenchApiError(error, method);
        }
      },
    ]),
  ) as WorkbenchRequests;

  const api: WorkbenchApi = {
    ...requests,
    onRunEvent(listener) {
      return bridge.onRunEvent((raw) => {
        const event = parsePushedEvent(raw);
        if (event) listener(event);
      });
    },
  };

  // IPC to the main process cannot drop while the window lives.
  const connection = { status: { state: 'connected' as const }, onChange: () => () => {} };
  return { api, connection };
}

/**
 * Electron preload (sandboxed, bundled as CommonJS): exposes `window.workbench`, one function per
 * WorkbenchApi method plus `onRunEvent`. Nothing else of Electron or Node reaches the page. Only
 * types are imported from the contract, so zod stays out of this bundle; the main process validates.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiMethodName, WorkbenchApi } from '../core/contract/workbenchApi';
import type { RunEvent } from '../core/contract/runEvent';

const methodNames = ['getEnvironment', 'listExperiments', 'listRuns', 'getRun', 'getRunEvents', 'startRun', 'stopRun'] as const;
// Compile-time check that the list above is exactly the contract's methods.
type MissingMethods = Exclude<ApiMethodName, (typeof methodNames)[number]>;
const everyMethodListed: MissingMethods extends never ? true : MissingMethods = true;
void everyMethodListed;

/** What main.ts answers each `workbench:<method>` invoke with: errors cross as values. */
type IpcReply = { ok: true; result: unknown } | { ok: false; error: string };

function request(method: ApiMethodName) {
  return async (...args: unknown[]): Promise<unknown> => {
    const reply = (await ipcRenderer.invoke(`workbench:${method}`, ...args)) as IpcReply;
    if (reply.ok) return reply.result;
    // contextBridge passes an Error's message, not its class; the name says where it came from.
    const error = new Error(reply.error);
    error.name = 'WorkbenchApiError';
    throw error;
  };
}

const workbench = Object.fromEntries(methodNames.map((method) => [method, request(method)])) as unknown as Omit<WorkbenchApi, 'onRunEvent'>;

const api: WorkbenchApi = {
  ...workbench,
  onRunEvent(listener: (event: RunEvent) => void): () => void {
    const forward = (_event: IpcRendererEvent, runEvent: RunEvent) => listener(runEvent);
    ipcRenderer.on('workbench:run-event', forward);
    return () => {
      ipcRenderer.removeListener('workbench:run-event', forward);
    };
  },
};

contextBridge.exposeInMainWorld('workbench', api);

/**
 * The renderer's single entry to its host. Components and stores call `getWorkbenchApi()` and
 * never ask which shell they run in: Electron's preload if it exposed `window.workbench`,
 * otherwise the browser shell's WebSocket on the origin that served the page.
 */
import type { WorkbenchApi } from '../../../core/contract/workbenchApi';
import { createPreloadHost } from './preloadApi';
import { createWebSocketHost, webSocketUrlFor } from './webSocketApi';
import type { WorkbenchConnection, WorkbenchHost } from './workbenchHost';

export type { ConnectionState, ConnectionStatus, WorkbenchConnection, WorkbenchHost } from './workbenchHost';

let host: WorkbenchHost | null = null;

export function getWorkbenchHost(): WorkbenchHost {
  host ??= window.workbench
    ? createPreloadHost(window.workbench)
    : createWebSocketHost(webSocketUrlFor(window.location));
  return host;
}

export function getWorkbenchApi(): WorkbenchApi {
  return getWorkbenchHost().api;
}

export function getWorkbenchConnection(): WorkbenchConnection {
  return getWorkbenchHost().connection;
}

/** A third host (tests, storybook-like harnesses) installed before the first store is used. */
export function installWorkbenchHost(testHost: WorkbenchHost): void {
  host = testHost;
}

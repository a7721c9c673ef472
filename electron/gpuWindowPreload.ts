/**
 * Preload of the desktop app's hidden GPU window (sandboxed, bundled as CommonJS). It exposes
 * nothing: it only passes on the MessagePort the main process sends (electron/shell/gpuWindow.ts)
 * to the page, which gives it to its training Web Worker (electron/gpuWindow/gpuWindowPage.ts).
 * Ports cannot cross contextBridge, so they go by window.postMessage to the page's own origin, as
 * Electron's guide to MessagePorts with context isolation does.
 */
import { ipcRenderer } from 'electron';
import { gpuWindowChannels } from './shell/gpuWindowChannels';

ipcRenderer.once(gpuWindowChannels.port, (event) => {
  window.postMessage({ type: gpuWindowChannels.pagePortMessage }, window.location.origin, [...event.ports]);
});

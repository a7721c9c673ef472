/**
 * The script of the hidden GPU window's page: waits for the MessagePort to the host, which the
 * preload (electron/gpuWindowPreload.ts) posts to this window, and hands it to a new training Web
 * Worker (./trainingWebWorker.ts). Nothing else happens in the page; the worker trains.
 */
import { gpuWindowChannels } from '../shell/gpuWindowChannels';

window.addEventListener('message', function receivePort(event: MessageEvent) {
  // Only the preload's own post (same window, same origin) carries the port.
  if (event.source !== window || event.origin !== window.location.origin) return;
  if ((event.data as { type?: unknown } | null)?.type !== gpuWindowChannels.pagePortMessage || !event.ports[0]) return;
  window.removeEventListener('message', receivePort);
  const worker = new Worker(new URL('./trainingWebWorker.js', window.location.href), { type: 'module' });
  worker.postMessage({ type: 'connect' }, [event.ports[0]]);
});

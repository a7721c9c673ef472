/**
 * The desktop app's GPU window: a hidden, sandboxed window whose Web Worker trains on Chromium's own
 * WebGPU (electron/gpuWindow/), because Dawn's Node binding cannot run under Electron's memory cage
 * (README, "GPU training in the desktop app"). This file only makes the window and the port between
 * it and the host; the host side of the port, with its validation and dataset answers, is
 * electron/host/portTrainingWorker.ts, and the routing of runs to it electron/host/routingTrainingWorker.ts.
 */
import { BrowserWindow, MessageChannelMain } from 'electron';
import type { DatasetSpec } from '../../core/contract/runConfig';
import type { Dataset } from '../../core/data/dataset';
import { PortTrainingWorker } from '../host/portTrainingWorker';
import type { TrainingWorkerListeners } from '../host/trainingWorker';
import { gpuWindowChannels } from './gpuWindowChannels';

export interface GpuWindowOptions {
  /** dist/electron/gpuWindowPreload.cjs */
  preloadPath: string;
  /** The page on the app scheme: workbench://app/gpu/index.html */
  pageUrl: string;
  loadDataset(spec: DatasetSpec): Promise<Dataset>;
}

/** Opens a GPU window and returns the training worker in it. */
export function openGpuWindowWorker(options: GpuWindowOptions, listeners: TrainingWorkerListeners): PortTrainingWorker {
  const window = new BrowserWindow({
    show: false,
    webPreferences: {
      preload: options.preloadPath,
      // The same isolation as the main window (./mainWindow.ts): the page and its worker get no Node.
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      // Nothing in this window is clickable; middle-click new windows are refused like everywhere.
      disableBlinkFeatures: 'Auxclick',
      navigateOnDragDrop: false,
      // A hidden window is throttled by default; training must run at full speed.
      backgroundThrottling: false,
      spellcheck: false,
      devTools: false,
    },
  });
  const { port1, port2 } = new MessageChannelMain();
  const worker = new PortTrainingWorker(
    {
      port: {
        postMessage: (message) => port1.postMessage(message),
        onMessage: (listener) => port1.on('message', (event) => listener(event.data)),
        close: () => port1.close(),
      },
      loadDataset: options.loadDataset,
      close: () => {
        if (!window.isDestroyed()) window.destroy();
      },
      name: 'the GPU window',
    },
    listeners,
  );
  port1.start();
  window.webContents.on('render-process-gone', (_event, details) =>
    worker.ended(`its renderer process ended (${details.reason})`),
  );
  window.webContents.on('did-fail-load', (_event, code, description) =>
    worker.ended(`its page did not load (${description}, ${code})`),
  );
  window.on('closed', () => worker.ended('its window was closed'));
  // Messages the host posts before the page is up wait in the channel until the worker starts its end.
  window.webContents.once('did-finish-load', () =>
    window.webContents.postMessage(gpuWindowChannels.port, null, [port2]),
  );
  void window.loadURL(options.pageUrl);
  return worker;
}

/** The names the GPU window's main-process side, preload and page agree on (./gpuWindow.ts). */
export const gpuWindowChannels = {
  /** Main → preload over IPC: the MessagePort to the host's side of the training worker. */
  port: 'gpu-window:port',
  /** Preload → page by window.postMessage (electron/gpuWindow/gpuWindowPage.ts checks the same string). */
  pagePortMessage: 'workbench-gpu-window:port',
} as const;

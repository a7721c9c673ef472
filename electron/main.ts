/**
 * The Electron shell: one window showing the renderer, WorkbenchApi over IPC, runs under the
 * user-data folder. It only composes: security in ./shell/security and ./shell/mainWindow, the app scheme in
 * ./shell/appProtocol, IPC in ./shell/ipc, the menu in ./shell/menu, remembered state in
 * ./shell/shellState, exports in ./shell/saveDialog; runs, storage and training in ./host.
 *
 * The renderer comes from dist/renderer over `workbench://app/`, or — in development only — from
 * the Vite dev server named by WORKBENCH_RENDERER_URL (e.g. http://localhost:5173/).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, screen, session, shell } from 'electron';
import type { IpcMainInvokeEvent } from 'electron';
import { desktopChannels, type MenuCommand } from '../core/contract/desktopChannels';
import { openHostServices, type HostServices } from './host/hostServices';
import { desktopRunRoute } from './host/desktopRunRoute';
import { parseQueueUrl } from './host/remote/redisConnection';
import { RoutingTrainingWorker } from './host/routingTrainingWorker';
import { defaultTrainingWorkerUrl, TrainingWorker } from './host/trainingWorker';
import { defaultPosthocWorkerUrl } from './host/posthocService';
import { toUnpackedUrl } from './worker/asarPaths';
import { workerEnvironment } from './worker/datasetFiles';
import { gpuWindowPath, handleAppScheme, registerAppScheme } from './shell/appProtocol';
import { openGpuWindowWorker } from './shell/gpuWindow';
import { registerApiHandlers, registerDesktopHandlers } from './shell/ipc';
import { PathGrants } from './shell/pathGrants';
import { buildMenuTemplate } from './shell/menu';
import { createSaveFile } from './shell/saveDialog';
import { createMainWindow } from './shell/mainWindow';
import { appOrigin, devServerOriginOf, isTrustedSender, restrictWebContents } from './shell/security';
import { initialWindowBounds, ShellStateStore } from './shell/shellState';

const productName = 'Bayesian Workbench';
const bundleDir = path.dirname(fileURLToPath(import.meta.url)); // dist/electron
const rendererDir = path.join(bundleDir, '..', 'renderer');
/** The hidden GPU window's page and training Web Worker (build/electronBundles.mjs, gpuBundles). */
const gpuWindowDir = path.join(bundleDir, '..', 'gpu');
const development = !app.isPackaged;
/** Only an unpackaged app honours the dev server variable: a packaged one always shows its own files. */
const devRendererUrl = development ? (process.env.WORKBENCH_RENDERER_URL ?? null) : null;

let mainWindow: BrowserWindow | null = null;
let services: HostServices | null = null;

// Privileged schemes must be registered before 'ready'.
registerAppScheme(protocol);

// A second instance would share the runs folder and mark the first one's running runs interrupted.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.whenReady().then(start).catch(fail);
}

async function start(): Promise<void> {
  const devServerOrigin = devRendererUrl ? devServerOriginOf(devRendererUrl) : null;
  restrictWebContents(app, session.defaultSession, devServerOrigin);
  handleAppScheme(protocol, rendererDir, gpuWindowDir);

  const state = ShellStateStore.inUserData(app.getPath('userData'));
  const { problem } = await state.load();
  if (problem) console.error(`${productName}: ${problem}`);

  // A worker thread's entry must be a real file; in a packaged app worker.js is asar-unpacked.
  const workerUrl = app.isPackaged
    ? toUnpackedUrl(new URL('./worker.js', import.meta.url))
    : defaultTrainingWorkerUrl();
  const posthocWorkerUrl = app.isPackaged
    ? toUnpackedUrl(new URL('./posthocWorker.js', import.meta.url))
    : defaultPosthocWorkerUrl();
  services = await openHostServices({
    runsDir: path.join(app.getPath('userData'), 'runs'),
    shell: 'electron',
    posthocWorkerUrl,
    ...(queueUrlOf(state.current.queueUrl) ? { queueUrl: queueUrlOf(state.current.queueUrl) } : {}),
    // Runs on the webgpu backend, and auto runs when Chromium offers a hardware adapter, train in the
    // hidden GPU window on Chromium's WebGPU: Dawn's Node binding cannot run under Electron's memory
    // cage (README). Everything else stays on the thread (./host/desktopRunRoute.ts).
    trainingWorkerFactory: (listeners) =>
      new RoutingTrainingWorker(
        {
          node: (nodeListeners) => new TrainingWorker(workerUrl, nodeListeners),
          gpu: (gpuListeners) =>
            openGpuWindowWorker(
              {
                preloadPath: path.join(bundleDir, 'gpuWindowPreload.cjs'),
                pageUrl: `${appOrigin}${gpuWindowPath}index.html`,
                loadDataset: (spec) => workerEnvironment.loadDataset(spec),
              },
              gpuListeners,
            ),
          route: desktopRunRoute,
        },
        listeners,
      ),
  });
  const { api } = services;
  const runsDir = path.join(app.getPath('userData'), 'runs');

  const fromOurWindow = (event: IpcMainInvokeEvent) => isTrustedSender(event, mainWindow, devServerOrigin);
  // The files this session's user dropped or picked: the only host paths the window may name.
  const pathGrants = new PathGrants();
  registerApiHandlers(ipcMain, api, fromOurWindow, pathGrants);
  const openRunsFolder = async () => {
    const failure = await shell.openPath(runsDir);
    if (failure) throw new Error(`The runs folder ${runsDir} could not be opened: ${failure}.`);
  };
  registerDesktopHandlers(
    ipcMain,
    {
      saveFile: createSaveFile({ dialog, window: () => mainWindow, state, defaultDir: app.getPath('documents') }),
      openRunsFolder,
      setQueueUrl: async (url: string) => {
        const trimmed = url.trim();
        if (trimmed === '') {
          await state.update({ queueUrl: undefined });
          return '';
        }
        const parsed = parseQueueUrl(trimmed); // a malformed URL is refused with the reason
        await state.update({ queueUrl: parsed.url });
        return parsed.display;
      },
      pickImageFiles: async () => {
        const options = {
          title: 'Images to classify',
          properties: ['openFile' as const, 'multiSelections' as const],
          filters: [{ name: 'Images', extensions: ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'avif'] }],
        };
        const result = mainWindow
          ? await dialog.showOpenDialog(mainWindow, options)
          : await dialog.showOpenDialog(options);
        return result.canceled ? [] : result.filePaths;
      },
      pathGrants,
    },
    fromOurWindow,
  );
  api.onRunEvent((event) => sendToWindow(desktopChannels.runEvent, event));

  const template = buildMenuTemplate({
    appName: productName,
    platform: process.platform,
    development,
    actions: {
      send: (command: MenuCommand) => sendToWindow(desktopChannels.menu, command),
      openRunsFolder: () =>
        void openRunsFolder().catch((error: Error) => dialog.showErrorBox(productName, error.message)),
      showAbout: () => void showAbout(),
    },
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));

  createWindow(state);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(state);
  });
}

function createWindow(state: ShellStateStore): void {
  const { bounds, maximized } = initialWindowBounds(
    state.current.window,
    screen.getAllDisplays().map((display) => display.workArea),
  );
  const window = createMainWindow({
    bounds,
    title: productName,
    preloadPath: path.join(bundleDir, 'preload.cjs'),
    devTools: development,
  });
  mainWindow = window;
  if (maximized) window.maximize();
  window.once('ready-to-show', () => window.show());

  // Remember where the window was, a moment after the user stops moving it, and when it closes.
  let saveTimer: NodeJS.Timeout | undefined;
  const remember = () => {
    if (window.isDestroyed() || window.isMinimized()) return;
    void state.update({ window: { bounds: window.getNormalBounds(), maximized: window.isMaximized() } });
  };
  const rememberSoon = () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(remember, 500);
  };
  window.on('resize', rememberSoon);
  window.on('move', rememberSoon);
  window.on('maximize', rememberSoon);
  window.on('unmaximize', rememberSoon);
  window.on('close', () => {
    clearTimeout(saveTimer);
    remember();
  });
  window.on('closed', () => {
    mainWindow = null;
  });

  void window.loadURL(devRendererUrl ?? `${appOrigin}/index.html`);
}

function sendToWindow(channel: string, payload: unknown): void {
  if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(channel, payload);
}

/** Version, runtime and the tfjs backend of the most recent run (the worker picks it per run). */
async function showAbout(): Promise<void> {
  // Dawn's Node binding cannot run under Electron's memory cage (README): GPU runs train in the GPU window.
  let backend =
    "chosen when the first run starts (auto: Chromium's WebGPU on a hardware adapter, else tensorflow, wasm, cpu; webgpu when a run chooses it)";
  try {
    const { runs } = (await services?.runManager.listRuns()) ?? { runs: [] };
    const latest = [...runs].filter((run) => run.backend).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0];
    if (latest?.backend) {
      const adapter = latest.backend.adapter;
      const gpu = adapter
        ? `; GPU adapter ${adapter.vendor} ${adapter.device}, ${adapter.architecture}${adapter.fallback ? ', fallback' : ''}`
        : '';
      backend = `${latest.backend.name} — ${latest.backend.device}${gpu} (run "${latest.name}")`;
    }
  } catch {
    // the About box must open even if the runs folder cannot be read
  }
  const options = {
    type: 'info' as const,
    title: `About ${productName}`,
    message: `${productName} ${app.getVersion()}`,
    detail: [
      `Backend: ${backend}`,
      `Electron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node ${process.versions.node}`,
    ].join('\n'),
  };
  if (mainWindow) await dialog.showMessageBox(mainWindow, options);
  else await dialog.showMessageBox(options);
}

let quitting = false;
app.on('before-quit', (event) => {
  if (quitting || !services) return;
  // Give the training run a moment to stop cleanly and flush its events before the process ends.
  event.preventDefault();
  quitting = true;
  services.runManager.close().finally(() => app.quit());
});

app.on('window-all-closed', () => {
  app.quit();
});

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`${productName} could not start: ${message}`);
  dialog.showErrorBox(productName, `${productName} could not start: ${message}`);
  app.exit(1);
}

/** The run queue's URL: the one saved in Settings, else WORKBENCH_QUEUE_URL, else none. */
function queueUrlOf(saved: string | undefined): string | undefined {
  return saved ?? process.env.WORKBENCH_QUEUE_URL ?? undefined;
}

/**
 * Electron preload (sandboxed, bundled as CommonJS): exposes `window.workbench` — exactly
 * WorkbenchApi, one function per method plus `onRunEvent` — and `window.workbenchDesktop`, the
 * Electron-only extras (path of a dropped file, save dialog, runs folder, menu commands). Nothing
 * else of Electron or Node reaches the page. The objects are built in ./shell/preloadBridge.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { ApiMethodName } from '../core/contract/workbenchApi';
import { createDesktopBridge, createWorkbenchBridge } from './shell/preloadBridge';

const methodNames = [
  'getEnvironment',
  'listExperiments',
  'listRuns',
  'getRun',
  'getRunEvents',
  'startRun',
  'stopRun',
  'pauseRun',
  'resumeRun',
  'deleteRun',
  'renameRun',
  'setRunTags',
  'classifyImages',
  'classifyImageFiles',
  'classifyFiles',
  'calibrateThreshold',
  'evaluateOod',
  'getOodEvaluation',
  'getOodGallery',
  'evaluateShift',
  'getShiftEvaluation',
  'getShiftProgress',
  'getPosthocFits',
  'fitPosthoc',
  'startSweep',
  'listSweeps',
  'getSweep',
  'combineRunsIntoEnsemble',
] as const;
// Compile-time check that the list above is exactly the contract's methods.
type MissingMethods = Exclude<ApiMethodName, (typeof methodNames)[number]>;
const everyMethodListed: MissingMethods extends never ? true : MissingMethods = true;
void everyMethodListed;

contextBridge.exposeInMainWorld('workbench', createWorkbenchBridge(ipcRenderer, methodNames));
contextBridge.exposeInMainWorld('workbenchDesktop', createDesktopBridge(ipcRenderer, webUtils));

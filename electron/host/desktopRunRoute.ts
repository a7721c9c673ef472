/**
 * Where a run of the desktop app trains: on the Node worker thread or in the hidden GPU window
 * (Chromium's WebGPU; electron/shell/gpuWindow.ts). Dawn's Node binding cannot run under Electron's
 * memory cage (README, "GPU training in the desktop app"), so the GPU window is the desktop's only
 * way to the GPU:
 *
 * - `webgpu` trains in the window, whatever adapter Chromium has (forced, as everywhere).
 * - `auto` trains in the window when Chromium offers a hardware adapter — the window's own `auto`
 *   then picks webgpu on it — and on the thread otherwise (wasm, or libtensorflow where installed),
 *   as `auto` never trains on a fallback (software) adapter. Why the window was passed over is
 *   recorded with the run's backend, beside the thread's own reasons.
 * - every other backend trains on the thread.
 *
 * Pure: the router (./routingTrainingWorker.ts) asks the window for its adapter and applies this.
 */
import type { RunConfig } from '../../core/contract/runConfig';
import { describeAdapter, type BackendInfo } from '../../core/contract/runEvent';
import type { ChromiumAdapterReport } from '../gpuWindow/messages';

export type { ChromiumAdapterReport };

export type BackendNote = BackendInfo['skipped'][number];

export interface RunRoute {
  side: 'node' | 'gpu';
  /** Recorded with the run's backend among the skipped ones: why the GPU window was passed over. */
  notes?: BackendNote[];
}

/**
 * The route of a run with `config`; `askGpuWindow` is called only for `auto` (it may open the
 * window), and a failure to ask is itself a reason to stay on the thread.
 */
export function desktopRunRoute(
  config: Pick<RunConfig, 'backend'>,
  askGpuWindow: () => Promise<ChromiumAdapterReport>,
): RunRoute | Promise<RunRoute> {
  if (config.backend === 'webgpu') return { side: 'gpu' };
  if (config.backend !== 'auto') return { side: 'node' };
  return askGpuWindow().then(autoRunRoute, (error: unknown) =>
    autoRunRoute({
      ok: false,
      reason: `the GPU window could not be asked for its adapter (${error instanceof Error ? error.message : String(error)})`,
    }),
  );
}

/** The decision for an `auto` run, given what Chromium reported. */
export function autoRunRoute(report: ChromiumAdapterReport): RunRoute {
  if (report.ok && !report.adapter.fallback) return { side: 'gpu' };
  const why = report.ok
    ? `Chromium's only WebGPU adapter is a fallback (software) one, ${describeAdapter(report.adapter)}, which trains slower than wasm; choose the "webgpu" backend to use it anyway`
    : report.reason;
  return { side: 'node', notes: [{ name: 'webgpu', reason: `the desktop app's GPU window was not used: ${why}` }] };
}

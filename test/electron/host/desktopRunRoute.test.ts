/**
 * Where a desktop run trains (electron/host/desktopRunRoute.ts): `webgpu` in the GPU window, `auto`
 * there only on a hardware adapter and otherwise on the Node worker with the reason recorded, every
 * other backend on the Node worker; the window is asked only for `auto`.
 */
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../../core/contract/runConfig';
import type { WebGpuAdapter } from '../../../core/contract/runEvent';
import { autoRunRoute, desktopRunRoute, type ChromiumAdapterReport } from '../../../electron/host/desktopRunRoute';

const adapter = (fallback: boolean): WebGpuAdapter => ({
  vendor: fallback ? 'google' : 'intel',
  architecture: fallback ? 'swiftshader' : 'xe',
  device: '',
  description: fallback ? 'SwiftShader Device' : 'Intel(R) Iris(R) Xe Graphics',
  fallback,
});

describe('desktopRunRoute', () => {
  it('sends webgpu to the GPU window and tensorflow, wasm and cpu to the Node worker without asking the window', async () => {
    let asked = 0;
    const ask = async (): Promise<ChromiumAdapterReport> => {
      asked += 1;
      return { ok: true, adapter: adapter(false) };
    };
    expect(desktopRunRoute({ backend: 'webgpu' }, ask)).toEqual({ side: 'gpu' });
    for (const backend of ['tensorflow', 'wasm', 'cpu'] as RunConfig['backend'][])
      expect(desktopRunRoute({ backend }, ask)).toEqual({ side: 'node' });
    expect(asked).toBe(0);
  });

  it('sends auto to the GPU window on a hardware adapter, with nothing to record', async () => {
    expect(await desktopRunRoute({ backend: 'auto' }, async () => ({ ok: true, adapter: adapter(false) }))).toEqual({
      side: 'gpu',
    });
  });

  it('keeps auto on the Node worker on a fallback adapter, naming the adapter and how to use it anyway', () => {
    expect(autoRunRoute({ ok: true, adapter: adapter(true) })).toEqual({
      side: 'node',
      notes: [
        {
          name: 'webgpu',
          reason:
            'the desktop app\'s GPU window was not used: Chromium\'s only WebGPU adapter is a fallback (software) one, SwiftShader Device (swiftshader, fallback adapter), which trains slower than wasm; choose the "webgpu" backend to use it anyway',
        },
      ],
    });
  });

  it("keeps auto on the Node worker when Chromium has no adapter or the window cannot be asked, with Chromium's or the failure's words", async () => {
    const none = autoRunRoute({
      ok: false,
      reason: 'Chromium found no WebGPU adapter (no usable GPU driver answered)',
    });
    expect(none.side).toBe('node');
    expect(none.notes?.[0].reason).toBe(
      "the desktop app's GPU window was not used: Chromium found no WebGPU adapter (no usable GPU driver answered)",
    );
    const failed = await desktopRunRoute({ backend: 'auto' }, async () => {
      throw new Error('The GPU window did not say which WebGPU adapter it has within 60 s.');
    });
    expect(failed).toEqual({
      side: 'node',
      notes: [
        {
          name: 'webgpu',
          reason:
            "the desktop app's GPU window was not used: the GPU window could not be asked for its adapter (The GPU window did not say which WebGPU adapter it has within 60 s.)",
        },
      ],
    });
  });
});

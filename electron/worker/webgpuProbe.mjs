// Asks Dawn (npm `webgpu`) for a WebGPU adapter and prints what it found as one JSON line on stdout.
// Run as a short-lived child process by electron/worker/webgpuBackend.ts, never imported: Dawn and
// the Vulkan drivers it loads write straight to file descriptor 2 ("Warning: Vulkan
// shaderUniform*ArrayDynamicIndexing required", "XDG_RUNTIME_DIR is invalid…"), which a worker
// thread cannot redirect. In a child its stderr is a pipe the parent reads, so the notes reach the
// recorded reason instead of the user's terminal, and an `auto` run that finds no adapter worth
// using never loads Dawn into the training process at all. Plain JavaScript so that `node` runs it
// without tsx.

/** @param {unknown} error */
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/** @param {Record<string, unknown>} verdict */
function answer(verdict) {
  process.stdout.write(`${JSON.stringify(verdict)}\n`, () => process.exit(0));
}

let dawn;
try {
  dawn = await import('webgpu');
} catch (error) {
  const code = /** @type {{ code?: unknown } | null} */ (error)?.code;
  answer({ status: 'unavailable', notInstalled: code === 'ERR_MODULE_NOT_FOUND', message: messageOf(error) });
}
if (dawn) {
  try {
    const adapter = await dawn.create([]).requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) {
      answer({ status: 'none' });
    } else {
      const info = adapter.info;
      answer({
        status: 'found',
        adapter: {
          vendor: info.vendor,
          architecture: info.architecture,
          device: info.device,
          description: info.description,
          fallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
        },
      });
    }
  } catch (error) {
    answer({ status: 'failed', message: messageOf(error) });
  }
}

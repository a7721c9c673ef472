import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

const repoRoot = fileURLToPath(new URL('.', import.meta.url));

/**
 * The CSP in index.html refuses inline styles. Vite's dev server injects component CSS as <style>
 * elements, so in `vite dev` only the style-src is relaxed; the built app keeps the strict policy.
 */
function relaxStyleCspInDev(): Plugin {
  return {
    name: 'workbench-relax-style-csp-in-dev',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  // Electron loads the built renderer from file://, so every asset URL must be relative.
  base: './',
  plugins: [vue(), relaxStyleCspInDev()],
  build: {
    outDir: `${repoRoot}dist/renderer`,
    emptyOutDir: true,
    target: 'es2022',
    // The chart and schema libraries make one ~300 kB chunk; that is fine for a local app.
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod ships `@__PURE__` comments in positions Rollup ignores; harmless and not ours to fix.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules/zod/')) return;
        warn(warning);
      },
    },
  },
});

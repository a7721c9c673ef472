import { defineConfig } from 'vitest/config';

// Without this file vitest would pick up vite.config.ts, whose root is renderer/.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**'],
    environment: 'node',
    // Numerical tests (gradient statistics, short trainings) take seconds; on a loaded 2-core
    // machine vitest's 5 s default fails them for time, not for a wrong answer.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

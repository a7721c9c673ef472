import { defineConfig } from 'vitest/config';

// Without this file vitest would pick up vite.config.ts, whose root is renderer/.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});

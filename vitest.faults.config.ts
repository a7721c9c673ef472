import { defineConfig } from 'vitest/config';

// The disk-full fault test, kept out of `npm test` while it fails on idle machines (vitest.config.ts).
export default defineConfig({
  test: {
    include: ['test/faults/diskFull.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});

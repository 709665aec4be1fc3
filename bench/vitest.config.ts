/**
 * Benchmarks run through vitest (TypeScript sources, no build step):
 *   npx vitest run --config bench/vitest.config.ts
 * They print tables instead of asserting; the machine should be otherwise idle.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['bench/**/*.bench.ts'],
    testTimeout: 600_000,
    pool: 'forks',
    // one file at a time: benchmarks must not compete for the cores
    fileParallelism: false,
  },
});

// The op-layer tests against the deliberately naive backend (test/helpers/naive-backend.ts) in
// place of the CPU backend, so an op-layer bug cannot hide behind a matching kernel bug:
//   npx vitest run -c vitest.naive.config.ts test/ops/gradients.test.ts test/core
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: [{ find: /^\.\/cpu\/index\.js$/, replacement: fileURLToPath(new URL('test/helpers/naive-as-cpu.ts', import.meta.url)) }] },
  test: { include: ['test/**/*.test.ts'], testTimeout: 120000, pool: 'forks' },
});

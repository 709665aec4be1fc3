import { defineConfig } from 'vitest/config';
export default defineConfig({
  root: '/work/main',
  resolve: { alias: [{ find: /^\.\/cpu\/index\.js$/, replacement: '/tmp/naive/shim.ts' }] },
  test: { include: ['test/**/*.test.ts'], testTimeout: 120000, pool: 'forks' },
});

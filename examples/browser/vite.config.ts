/**
 * The browser page of gmgrad, built from the package's own TypeScript sources (no prebuilt dist).
 * `npm run browser` builds it and serves it on http://127.0.0.1:5173/ (datasets included).
 * Two pages: index.html (train, attack, inspect) and ops-check.html (WebGPU vs CPU op check).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { gmgradData } from './build/data-plugin.ts';
import { nodeFreeBundle } from './build/node-free-bundle.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * Cross-origin isolation: SharedArrayBuffer, hence the WebAssembly backend's worker threads, exists
 * only on isolated pages. The page loads nothing from other origins, so these cost nothing.
 */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export default defineConfig({
  root: here,
  // relative URLs: the built folder works from any path on any static host
  base: './',
  publicDir: false,
  clearScreen: false,
  plugins: [
    gmgradData({ repoRoot, copyFullSets: process.env.GMGRAD_BROWSER_FULL_DATA === '1' }),
    nodeFreeBundle(),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // the MNIST files are large on purpose; the engine chunk is one module graph
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        'ops-check': fileURLToPath(new URL('./ops-check.html', import.meta.url)),
      },
      // Dawn's Node bindings (a native addon); the engine reaches them only through a dynamic
      // import when `navigator.gpu` is missing, which never happens in a page
      external: ['webgpu'],
    },
  },
  // the dev server compiles the engine from ../../src
  server: { host: '127.0.0.1', port: 5173, fs: { allow: [repoRoot] }, headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', port: 5173, headers: ISOLATION_HEADERS },
  optimizeDeps: { exclude: ['webgpu'] },
});

/**
 * Shared by the browser tests: build the page with Vite's API into a temporary folder, serve it
 * from a tiny static server on 127.0.0.1 (random port), and start the system Chromium with WebGPU
 * on SwiftShader through playwright-core (never a downloaded browser), in a fresh profile.
 */
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { ISOLATION_HEADERS } from '../../examples/browser/vite.config.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

export const REPO = resolve(import.meta.dirname, '..', '..');

export async function loadPlaywright(): Promise<typeof import('playwright-core') | null> {
  try { return await import('playwright-core'); } catch { return null; }
}

export const browserAvailable = existsSync(CHROMIUM);

/** `vite build` of examples/browser into a fresh temporary folder; returns the folder. */
export async function buildPage(): Promise<string> {
  const { build } = await import('vite');
  const outDir = mkdtempSync(join(tmpdir(), 'gmgrad-page-'));
  await build({
    configFile: join(REPO, 'examples', 'browser', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  return outDir;
}

/** Every .js file of the build, for checks on what reached the bundle. */
export function bundleSources(outDir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.js')) out.push({ file: p.slice(outDir.length + 1), text: readFileSync(p, 'utf8') });
    }
  };
  walk(outDir);
  return out;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.map': 'application/json', '.gz': 'application/octet-stream', '.svg': 'image/svg+xml', '.png': 'image/png',
};

export interface StaticServer {
  url: string;
  /** paths requested that did not exist */
  notFound: string[];
  close(): Promise<void>;
}

export async function serve(root: string): Promise<StaticServer> {
  const notFound: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      notFound.push(path);
      res.writeHead(404).end('not found');
      return;
    }
    // the headers `npm run browser` sends (vite.config.ts): cross-origin isolation for the wasm threads
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store', ...ISOLATION_HEADERS });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    notFound,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** console errors and uncaught page errors */
  errors: string[];
  /** requests that left 127.0.0.1 (the page must work offline) */
  external: string[];
  close(): Promise<void>;
}

export async function launch(playwright: typeof import('playwright-core')): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'gmgrad-chromium-'));
  const context = await playwright.chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1400, height: 1000 },
    env: { ...process.env, VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json' },
  });
  const errors: string[] = [];
  const external: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('http://127.0.0.1:') || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    external.push(url);
    return route.abort();
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return {
    context, page, errors, external,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

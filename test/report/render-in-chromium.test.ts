/**
 * Opens the sample report in headless Chromium: no console errors, no network requests, every SVG
 * laid out with a non-zero size, and a full-page screenshot in test-output/report-sample.png to look at.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/report/index.js';
import { sampleReport } from './sample-report.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function loadPlaywright(): Promise<typeof import('playwright-core') | null> {
  try { return await import('playwright-core'); } catch { return null; }
}

const playwright = await loadPlaywright();

describe.skipIf(!existsSync(CHROMIUM) || playwright === null)('the report in headless Chromium', () => {
  it('renders without errors or requests and every chart has a size', async () => {
    const outDir = resolve('test-output');
    mkdirSync(outDir, { recursive: true });
    const htmlPath = join(outDir, 'report-sample.html');
    const html = await renderReport(sampleReport());
    writeFileSync(htmlPath, html);
    const expectedSvgs = (html.match(/<svg /g) ?? []).length;

    const userDataDir = mkdtempSync(join(tmpdir(), 'gmgrad-chromium-'));
    const context = await playwright!.chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 900 },
    });
    try {
      const errors: string[] = [];
      const requests: string[] = [];
      // the page must be self-contained: record and refuse anything that is not the file itself
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
        requests.push(url);
        return route.abort();
      });
      const page = context.pages()[0] ?? await context.newPage();
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });

      // the summary comes first and the attack panels are closed: a short page (the sample has 4 attacks, 2 models)
      const closedHeight = await page.evaluate(() => document.documentElement.scrollHeight);
      expect(closedHeight).toBeLessThan(6500);
      await page.screenshot({ path: join(outDir, 'report-sample-closed.png'), fullPage: true });
      await page.$$eval('details', (els) => els.forEach((e) => { (e as HTMLDetailsElement).open = true; }));
      const sizes = await page.$$eval('svg', (els) => els.map((e) => { const r = e.getBoundingClientRect(); return [r.width, r.height]; }));
      expect(sizes.length).toBe(expectedSvgs);
      for (const [w, h] of sizes) { expect(w).toBeGreaterThan(10); expect(h).toBeGreaterThan(10); }
      // every embedded PNG decoded (a broken data: URI leaves the <image> without pixels)
      const images = await page.$$eval('image', (els) => Promise.all(els.map((e) => new Promise<boolean>((ok) => {
        const img = new Image();
        img.onload = () => ok(img.naturalWidth > 0);
        img.onerror = () => ok(false);
        img.src = e.getAttribute('href')!;
      }))));
      expect(images.length).toBeGreaterThan(0);
      expect(images.every(Boolean)).toBe(true);
      // no horizontal overflow of the page at a laptop width
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);

      await page.screenshot({ path: join(outDir, 'report-sample.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

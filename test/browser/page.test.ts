/**
 * The gmgrad page in real Chromium (WebGPU on SwiftShader): it is built with Vite from the
 * package's sources, served from 127.0.0.1, reports its adapter, trains (the loss falls), attacks,
 * and exchanges checkpoints with Node in both directions. Driven through `window.gmgradPage`,
 * with the main buttons clicked once. No console errors, no page errors, no request leaves
 * 127.0.0.1. Screenshot: test-output/browser-page.png; measured speed: test-output/browser-speed.json.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { parseIdxImages, parseIdxLabels } from '../../src/data/idx.js';
import { modelMetadata } from '../../src/train/checkpoint.js';
import { defaultConfig } from '../../src/train/config.js';
import { firstImages, splitHeldOut, type ImageSet } from '../../examples/browser/src/data.js';
import type { PageHooks } from '../../examples/browser/src/hooks.js';
import { browserAvailable, buildPage, bundleSources, launch, loadPlaywright, REPO, serve, type Browser, type StaticServer } from './harness.js';

const playwright = await loadPlaywright();

type HookWindow = Window & { gmgradPage?: PageHooks; gmgradPageFailed?: string; gmgradPageErrors?: string[] };

/** The page's held-out images (the embedded split's last 1 000), read the same way in Node. */
function heldOut(): ImageSet {
  const dir = join(REPO, 'data', 'mnist-test');
  const im = parseIdxImages(gunzipSync(readFileSync(join(dir, 't10k-images-idx3-ubyte.gz'))));
  const labels = parseIdxLabels(gunzipSync(readFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'))));
  return splitHeldOut({ images: im.pixels, labels, n: im.n, c: 1, h: im.h, w: im.w }).test;
}

async function nodeFeatures(model: g.Classifier, x: Float32Array, n: number, backend: g.Backend): Promise<Float32Array> {
  model.eval();
  const f = g.tidy(() => g.noGrad(() => model.features(g.tensor(x, { shape: [n, 1, 28, 28], backend }))));
  try { return Float32Array.from(await f.data()); } finally { f.dispose(); }
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, abs: number, rel: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = abs + rel * Math.abs(expected[i]!);
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} ± ${tol}`);
  }
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

async function openPage(browser: Browser, url: string): Promise<void> {
  const { page } = browser;
  await page.goto(url);
  await page.waitForFunction(() => (window as HookWindow).gmgradPage?.ready === true || (window as HookWindow).gmgradPageFailed !== undefined, null, { timeout: 60_000 });
  const failed = await page.evaluate(() => (window as HookWindow).gmgradPageFailed);
  expect(failed).toBeUndefined();
}

const state = (browser: Browser) => browser.page.evaluate(() => (window as HookWindow).gmgradPage!.state());

describe.skipIf(!browserAvailable || playwright === null)('the gmgrad page in Chromium', () => {
  let outDir = '';
  let server: StaticServer;
  let browser: Browser;
  let cpu: g.Backend;

  beforeAll(async () => {
    outDir = await buildPage();
    server = await serve(outDir);
    browser = await launch(playwright!);
    cpu = await g.createBackend('cpu');
    mkdirSync(join(REPO, 'test-output'), { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('bundles no Node-only code, embeds the WGSL and ships the MNIST test split', () => {
    const sources = bundleSources(outDir);
    expect(sources.length).toBeGreaterThan(0);
    const problems: string[] = [];
    const near = (text: string, at: number) => text.slice(Math.max(0, at - 40), at + 60);
    for (const { file, text } of sources) {
      // static imports of Node built-ins or of Dawn's Node package
      for (const m of text.matchAll(/\bfrom\s*["'](node:[\w/]+|fs|zlib|worker_threads|path|os|webgpu)["']/g)) problems.push(`${file}: static import: ${near(text, m.index)}`);
      // CommonJS requires of Node modules (the wasm backend's Node worker is shipped as source text
      // that requires node:worker_threads; it only ever runs in Node)
      for (const m of text.matchAll(/\brequire\(\s*["']node:(?!worker_threads)/g)) problems.push(`${file}: require: ${near(text, m.index)}`);
      // only the backends' guarded dynamic imports may name Node modules (never reached in a page)
      for (const m of text.matchAll(/import\(\s*[`"']([^`"']+)[`"']\s*\)/g)) {
        if (!m[1]!.startsWith('./') && !['node:os', 'node:worker_threads', 'webgpu'].includes(m[1]!)) problems.push(`${file}: dynamic import of ${m[1]}`);
      }
    }
    expect(problems).toEqual([]);
    expect(sources.some(({ text }) => text.includes('@compute'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(outDir, 'data', 'manifest.json'), 'utf8')) as { datasets: { id: string }[] };
    expect(manifest.datasets.map((d) => d.id)).toContain('mnist-test');
  });

  it('trains on WebGPU, attacks, and round-trips a checkpoint with Node', async () => {
    const { page, errors, external } = browser;
    await openPage(browser, `${server.url}index.html?backend=webgpu&model=tiny-cnn&batch=8&probe=64&calib=64`);

    // the adapter is reported
    const s0 = await state(browser);
    expect(s0.backend.name).toBe('webgpu');
    expect(s0.backend.fallbackReason).toBeNull();
    expect((s0.backend.adapter as { architecture: string }).architecture).toMatch(/swiftshader/i);
    expect(await page.textContent('#backend-badge')).toMatch(/^WebGPU · .*swiftshader/i);
    expect(s0.dataset).toBe('mnist-test');

    // Train ▶ then Pause, with the real button
    await page.click('#train-button');
    await page.waitForFunction(() => (window as HookWindow).gmgradPage!.state().steps >= 2, null, { timeout: 30_000 });
    await page.click('#train-button');
    await page.waitForFunction(() => !(window as HookWindow).gmgradPage!.state().running, null, { timeout: 30_000 });

    // a short run: the loss falls
    const run = await page.evaluate(() => (window as HookWindow).gmgradPage!.trainSteps(12));
    expect(run.losses.length).toBe(12);
    // no tensor leaks: the live buffers stay flat over more steps (and their probes)
    const live = (await state(browser)).memory.webgpu!.liveBuffers;
    await page.evaluate(() => (window as HookWindow).gmgradPage!.trainSteps(4));
    const s1 = await state(browser);
    expect(s1.memory.webgpu!.liveBuffers).toBe(live);
    const losses = s1.losses;
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)));
    expect(s1.imagesPerSecond.overall).toBeGreaterThan(0);
    expect(s1.probeAccuracy).not.toBeNull();
    writeFileSync(join(REPO, 'test-output', 'browser-speed.json'), `${JSON.stringify({
      backend: s1.backend.title, model: 'tiny-cnn', batch: 8, steps: s1.steps,
      imagesPerSecond: s1.imagesPerSecond, lastRun: run.imagesPerSecond,
    }, null, 2)}\n`);

    // the stat tiles and charts are drawn
    expect(await page.textContent('#stat-speed')).toMatch(/img\/s/);
    expect(await page.locator('#curves svg path.series').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#scatter svg g.means').count()).toBe(1);
    expect(await page.locator('#scatter svg g.density path').count()).toBeGreaterThan(0);

    // one attack with the real button (FGSM on held-out image #3)
    await page.fill('#image-index', '3');
    await page.dispatchEvent('#image-index', 'change');
    await page.selectOption('#attack-select', 'fgsm');
    await page.click('#attack-button');
    await page.waitForFunction(() => (window as HookWindow).gmgradPage!.state().lastAttack !== null, null, { timeout: 30_000 });
    const attack = (await state(browser)).lastAttack!;
    expect(attack.attack).toBe('FGSM');
    expect(attack.label).toBe(heldOut().labels[3]);
    expect(attack.norm).toBeCloseTo(0.2, 4);
    expect(attack.tau).toBeGreaterThan(0);
    expect(Number.isFinite(attack.adversarialScore)).toBe(true);
    expect(await page.locator('#attack-scatter svg g.adversarial').count()).toBe(1);
    expect(await page.locator('#gauge .gauge-mark').count()).toBe(2);
    expect(await page.locator('#score-hist svg').count()).toBe(1);

    // the detector-aware attack on a drawn digit, through the hook
    await page.evaluate(() => (window as HookWindow).gmgradPage!.drawStroke([[14, 4], [14, 24]]));
    const adaptive = await page.evaluate(() => (window as HookWindow).gmgradPage!.runAttack('adaptive', 0.15));
    expect(adaptive!.attack).toBe('Adaptive-PGD');
    expect(adaptive!.label).toBe(adaptive!.cleanPrediction);
    expect(adaptive!.norm).toBeLessThanOrEqual(0.15 + 1e-5);

    await page.screenshot({ path: join(REPO, 'test-output', 'browser-page.png'), fullPage: true });

    // page → Node: the exported safetensors load with the engine's decodeModel (what `gmgrad eval` uses)
    const base64 = await page.evaluate(() => (window as HookWindow).gmgradPage!.exportCheckpoint());
    const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
    const { model, config, metadata } = g.decodeModel(bytes, cpu, 'page export');
    expect(config.model).toBe('tiny-cnn');
    expect(metadata.gmgrad_input_shape).toBe('[1,28,28]');
    const probe = firstImages(heldOut(), 8);
    const inPage = await page.evaluate(() => (window as HookWindow).gmgradPage!.features(8));
    expectClose(inPage, await nodeFeatures(model, probe.x, probe.n, cpu), 2e-4, 2e-3, 'WebGPU features vs Node CPU features of the exported model');
    model.dispose();

    expect(await page.evaluate(() => (window as HookWindow).gmgradPageErrors)).toEqual([]);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    expect(server.notFound).toEqual([]);
  }, 120_000);

  it('opens a checkpoint written the way `gmgrad train` writes it, on the CPU fallback, and exports it back', async () => {
    const { page, errors, external } = browser;
    await openPage(browser, `${server.url}index.html?backend=cpu&model=tiny-cnn&probe=32&calib=32`);
    const s = await state(browser);
    expect(s.backend.name).toBe('cpu');
    expect(s.backend.fallbackReason).toMatch(/asked for/);
    expect(await page.textContent('#backend-detail')).toMatch(/CPU fallback/);

    // a small-cnn GM model as `gmgrad train` saves it (encodeModel + modelMetadata of the run config)
    g.manualSeed(7);
    const nodeModel = g.createModel('small-cnn', { head: 'gm', featureDim: 2, inputShape: [1, 28, 28], backend: cpu, margin: 1, lambda: 0.1 });
    const cfg = { ...defaultConfig('mnist'), model: 'small-cnn' as const, featureDim: 2, epochs: 1, backend: 'cpu' as const };
    const written = await g.encodeModel(nodeModel, modelMetadata(cfg, nodeModel, { epoch: '1', backend: 'cpu' }));
    await page.evaluate(() => (window as HookWindow).gmgradPage!.trainSteps(2));
    expect((await state(browser)).losses).toHaveLength(2);
    const line = await page.evaluate((b64) => (window as HookWindow).gmgradPage!.importCheckpoint(b64, 'model.safetensors'), Buffer.from(written).toString('base64'));
    expect(line).toMatch(/small-cnn, 2-D features, mnist, epoch 1/);
    expect(await page.textContent('#checkpoint-line')).toContain('small-cnn');
    // everything on the page follows the import: the model picker, the curves, the optimizer and its sliders
    const imported = await state(browser);
    expect(imported.model).toEqual({ name: 'small-cnn', featureDim: 2 });
    expect(await page.inputValue('#model-select')).toBe('small-cnn');
    expect(imported.losses).toEqual([]);
    expect(imported.optimizer).toEqual({ lr: cfg.lr, momentum: cfg.momentum, nesterov: cfg.nesterov, weightDecay: cfg.weightDecay });
    expect(await page.textContent('#lr-out')).toBe(cfg.lr.toPrecision(2));
    expect(await page.textContent('#model-line')).toContain(`small-cnn → 2-D features → one Gaussian per class · SGD (momentum 0.9, Nesterov, weight decay ${cfg.weightDecay})`);
    expect(await page.locator('#curves svg path.series').count()).toBe(0);

    const probe = firstImages(heldOut(), 4);
    const inPage = await page.evaluate(() => (window as HookWindow).gmgradPage!.features(4));
    expectClose(inPage, await nodeFeatures(nodeModel, probe.x, probe.n, cpu), 1e-5, 1e-5, 'page features vs Node features of a Node checkpoint');

    // and back: the page's export loads with the engine's decodeModel, every tensor unchanged
    const back = new Uint8Array(Buffer.from(await page.evaluate(() => (window as HookWindow).gmgradPage!.exportCheckpoint()), 'base64'));
    const reloaded = g.decodeModel(back, cpu, 'page export');
    expect(reloaded.config.model).toBe('small-cnn');
    const original = nodeModel.stateDict();
    for (const [k, t] of reloaded.model.stateDict()) {
      expect(original.has(k), k).toBe(true);
      expect(Array.from(await t.data()), k).toEqual(Array.from(await original.get(k)!.data()));
    }
    reloaded.model.dispose();
    nodeModel.dispose();

    // a model with 16-D features (as `gmgrad train --feature-dim 16` writes it) is shown on its principal axes
    const wide = g.createModel('tiny-cnn', { head: 'gm', featureDim: 16, inputShape: [1, 28, 28], backend: cpu });
    const wideBytes = await g.encodeModel(wide, modelMetadata({ ...cfg, model: 'tiny-cnn', featureDim: 16 }, wide));
    wide.dispose();
    await page.evaluate((b64) => (window as HookWindow).gmgradPage!.importCheckpoint(b64, 'wide.safetensors'), Buffer.from(wideBytes).toString('base64'));
    await page.waitForFunction(() => document.querySelector('#scatter svg')?.textContent?.includes('principal axis 1') ?? false, null, { timeout: 20_000 });
    expect(await page.textContent('#model-line')).toContain('tiny-cnn → 16-D features');

    // the export button downloads the file
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-button')]);
    expect(download.suggestedFilename()).toBe('model.safetensors');

    expect(await page.evaluate(() => (window as HookWindow).gmgradPageErrors)).toEqual([]);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  }, 60_000);

  it('is cross-origin isolated as `npm run browser` serves it, so the wasm backend runs threads', async () => {
    // vite preview with the page's own config: what `npm run browser` starts
    const { preview } = await import('vite');
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const vite = await preview({ configFile: join(REPO, 'examples', 'browser', 'vite.config.ts'), logLevel: 'warn', build: { outDir }, preview: { port, strictPort: false } });
    try {
      const url = vite.resolvedUrls!.local[0]!;
      const response = await fetch(`${url}index.html`);
      expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      await openPage(browser, `${url}index.html?backend=wasm&model=tiny-cnn&batch=16&probe=32&calib=32`);
      const s = await state(browser);
      expect(s.crossOriginIsolated).toBe(true);
      expect(s.backend.name).toBe('wasm');
      const cores = await browser.page.evaluate(() => navigator.hardwareConcurrency);
      expect(s.backend.title).toBe(`WebAssembly SIMD (${Math.min(cores, 64)} threads)`);
      expect(cores).toBeGreaterThan(1);
      const run = await browser.page.evaluate(() => (window as HookWindow).gmgradPage!.trainSteps(3));
      expect(run.losses.every(Number.isFinite)).toBe(true);
      expect(await browser.page.evaluate(() => (window as HookWindow).gmgradPageErrors)).toEqual([]);
      expect(browser.errors).toEqual([]);
    } finally {
      await vite.close();
    }
  }, 60_000);
});

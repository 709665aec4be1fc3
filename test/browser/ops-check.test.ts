/**
 * The cross-backend op check in real Chromium: examples/browser/ops-check.html runs matmul,
 * conv2d (forward and gradients), softmax / cross-entropy, max-pooling, batch-norm, the fused GM
 * loss (forward and gradients), reductions and broadcasting binary ops on WebGPU (SwiftShader
 * here) and on the WebAssembly backend, in the page, and compares them with the TypeScript CPU
 * reference in the same page within 1e-4 absolute + 1e-3 relative.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, buildPage, launch, loadPlaywright, serve, type Browser, type StaticServer } from './harness.js';

interface OpResult { op: string; backend: string; ok: boolean; error?: string; outputs: { output: string; ok: boolean; maxAbs: number; worstRatio: number; detail?: string }[] }
interface OpsReport { done: boolean; backends: Record<string, string>; unavailable: Record<string, string>; results: OpResult[]; error?: string }

const playwright = await loadPlaywright();

describe.skipIf(!browserAvailable || playwright === null)('ops in the browser: WebGPU and wasm against the CPU reference', () => {
  let outDir = '';
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    outDir = await buildPage();
    server = await serve(outDir);
    browser = await launch(playwright!);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('every op and gradient matches within 1e-4 + 1e-3·|ref|', async () => {
    const { page, errors, external } = browser;
    await page.goto(`${server.url}ops-check.html?backends=webgpu,wasm`);
    await page.waitForFunction(() => (window as unknown as { gmgradOpsCheck?: { done: boolean } }).gmgradOpsCheck?.done === true, null, { timeout: 80_000 });
    const report = await page.evaluate(() => (window as unknown as { gmgradOpsCheck: OpsReport }).gmgradOpsCheck);
    expect(report.error).toBeUndefined();
    expect(report.unavailable).toEqual({});
    expect(report.backends.webgpu).toMatch(/^webgpu \(.*swiftshader/i);
    // Chromium ships relaxed SIMD: the wasm kernels use its fused multiply-add there too
    expect(report.backends.wasm).toMatch(/^wasm \(\d+ threads?, SIMD \+ FMA\)/);
    const failures = report.results.filter((r) => !r.ok).map((r) => `${r.backend} ${r.op}: ${r.error ?? r.outputs.filter((o) => !o.ok).map((o) => `${o.output} ${o.detail}`).join('; ')}`);
    expect(failures).toEqual([]);
    // every op ran on both backends, each with its forward output and at least one gradient
    const ops = new Set(report.results.map((r) => r.op));
    expect(ops.size).toBeGreaterThanOrEqual(12);
    for (const backend of ['webgpu', 'wasm']) {
      const mine = report.results.filter((r) => r.backend === backend);
      expect(mine.length).toBe(ops.size);
      for (const r of mine) expect(r.outputs.some((o) => o.output.startsWith('d'))).toBe(true);
    }
    const table = await page.locator('#results tr').count();
    expect(table).toBe(report.results.length);
    await page.screenshot({ path: 'test-output/browser-ops-check.png', fullPage: true });
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    expect(server.notFound).toEqual([]);
  }, 90_000);
});

/** The adversarial-example grid: embedded PNGs that decode to the right pixels, and the captions. */
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { imageGrid, perturbationMap, divergingColor } from '../../src/report/index.js';
import { perturbationColourBar, perturbationScale } from '../../src/report/charts/image-grid.js';
import { assertWellFormed, count, texts } from './markup-check.js';

/** Pixels of a PNG written by encodePng (filter 0). */
function pngPixels(uri: string): { width: number; height: number; channels: number; pixels: Uint8Array } {
  const png = Buffer.from(uri.replace('data:image/png;base64,', ''), 'base64');
  const width = png.readUInt32BE(16), height = png.readUInt32BE(20);
  const channels = { 0: 1, 2: 3, 6: 4 }[png[25]!]!;
  const idatLen = png.readUInt32BE(33);
  const raw = inflateSync(png.subarray(41, 41 + idatLen));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  return { width, height, channels, pixels };
}

const hrefs = (svg: string) => [...svg.matchAll(/<image [^>]*href="([^"]+)"/g)].map((m) => m[1]!);

describe('imageGrid', () => {
  it('embeds clean, perturbation and adversarial PNGs per row with the right pixels', async () => {
    const shape = { channels: 1 as const, height: 4, width: 5 };
    const clean = Float32Array.from({ length: 20 }, (_, i) => i / 19);
    const adversarial = clean.map((v, i) => Math.min(1, Math.max(0, v + (i % 2 ? 0.1 : -0.1))));
    const out = await imageGrid({ shape, rows: [{ clean, adversarial, trueLabel: 3, cleanPrediction: 3, prediction: 5, cleanScore: 0.5, score: 20, flagged: true }], classNames: ['a', 'b', 'c', 'd', 'e', 'f'] });
    assertWellFormed(out);
    const uris = hrefs(out);
    expect(uris).toHaveLength(3);
    const c = pngPixels(uris[0]!);
    expect(c).toMatchObject({ width: 5, height: 4, channels: 1 });
    expect(Array.from(c.pixels)).toEqual(Array.from(clean, (v) => Math.round(v * 255)));
    const d = pngPixels(uris[1]!);
    expect(d.channels).toBe(3);
    const delta = perturbationMap(clean, adversarial, shape);
    const scale = Math.max(...Array.from(delta, Math.abs));
    for (let p = 0; p < 20; p++) {
      const want = divergingColor(delta[p]! / scale).map(Math.round);
      expect(Array.from(d.pixels.subarray(3 * p, 3 * p + 3))).toEqual(want);
    }
    const t = texts(out);
    expect(t).toEqual(expect.arrayContaining(['true d', 'pred d', 'pred f', 'D 20', '✓ flagged']));
  });

  it('interleaves colour images, marks missed attacks and lays rows out in columns', async () => {
    const shape = { channels: 3 as const, height: 2, width: 2 };
    const clean = Float32Array.of(1, 0, 0, 0, /* G */ 0, 1, 0, 0, /* B */ 0, 0, 1, 0);
    const row = (flagged: boolean, prediction: number) => ({ clean, adversarial: clean.map((v) => 1 - v), trueLabel: 0, prediction, flagged });
    const rows = [row(false, 1), row(true, 1), row(false, 0), row(true, 2)];
    const out = await imageGrid({ shape, rows, width: 1200, cellSize: 80 });
    assertWellFormed(out);
    expect(count(out, 'image')).toBe(12);
    expect(count(out, 'g', 'example')).toBe(4);
    const first = pngPixels(hrefs(out)[0]!);
    expect(first.channels).toBe(3);
    expect(Array.from(first.pixels)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0]);
    const t = texts(out);
    expect(t.filter((s) => s === '✗ not flagged')).toHaveLength(2);
    expect(t.filter((s) => s === '✓ flagged')).toHaveLength(2);
    // 1200 px fit four triptychs of 3 × 80 px side by side: one line of headers per column
    expect(t.filter((s) => s === 'perturbation')).toHaveLength(4);
    await expect(imageGrid({ shape, rows: [{ ...row(true, 1), clean: new Float32Array(3) }] })).rejects.toThrow(/3×2×2 = 12 values, got 3/);
  });
});

describe('the perturbation colour scale', () => {
  const shape = { channels: 1 as const, height: 2, width: 2 };
  const clean = Float32Array.of(0, 0.5, 1, 0.25);

  it('shows an attack that changed nothing (round-off of 3e-8) as grey, captioned unchanged', async () => {
    const adversarial = clean.map((v) => v + 3e-8);
    expect(perturbationScale([{ clean, adversarial }], shape)).toBe(1 / 255);
    const out = await imageGrid({ shape, rows: [{ clean, adversarial, trueLabel: 0, prediction: 0 }] });
    const grey = divergingColor(0).map(Math.round);
    const d = pngPixels(hrefs(out)[1]!);
    for (let p = 0; p < 4; p++) expect(Array.from(d.pixels.subarray(3 * p, 3 * p + 3))).toEqual(grey);
    expect(texts(out)).toContain('unchanged');
  });

  it('labels −s, 0 and +s in full, inside the drawing', () => {
    const bar = perturbationColourBar(0.0391);
    assertWellFormed(bar);
    expect(texts(bar)).toEqual(['perturbation: adversarial − clean', '−0.0391', '0', '+0.0391']);
    const width = Number(/<svg [^>]*width="([\d.]+)"/.exec(bar)![1]);
    const right = /<text x="([\d.]+)"[^>]*text-anchor="end"[^>]*>\+0\.0391</.exec(bar);
    expect(right).not.toBeNull();
    expect(Number(right![1])).toBeLessThanOrEqual(width);
  });
});

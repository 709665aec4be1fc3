/**
 * Sparse-RS (L0, pixels): the swap schedule, the update's invariants (k distinct pixels, exactly
 * the drawn number moved, corners of the colour cube), L0 ≤ k on a model, non-increasing loss,
 * success, seeds, queries, no gradient, and the changed-pixel count.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as g from '../../src/index.js';
import { changedPixels, createAttack, fractionAt, pixelsToSwap, SparseRS } from '../../src/attacks/index.js';
import { randomSearch } from '../../src/attacks/random-search.js';
import { sparseInit, sparseUpdate, type PixelLayout, type SparseCandidate } from '../../src/attacks/sparse-rs.js';
import { Generator } from '../../src/core/random.js';
import { affineClassifier, arr, images, predictions, tinyCnn } from './fixtures.js';
import { GradientTrap, linearLogits, margin, perSample } from './score-helpers.js';

/** pixels of a [C, P] sample (entry c·P + p) that differ from x in any channel, counted independently */
function changed(x: number[], adv: number[], layout: PixelLayout): number[] {
  const out: number[] = [];
  for (let p = 0; p < layout.pixels; p++) {
    for (let c = 0; c < layout.channels; c++) if (adv[c * layout.pixels + p] !== x[c * layout.pixels + p]) { out.push(p); break; }
  }
  return out;
}

describe('Sparse-RS schedule and update', () => {
  it('swaps max(⌊α(t)·k⌋, 1) pixels, α on the Square schedule', () => {
    fc.assert(fc.property(fc.double({ min: 0.01, max: 1, noNaN: true }), fc.integer({ min: 1, max: 200 }), (alpha, k) => {
      expect(pixelsToSwap(alpha, k)).toBe(Math.min(Math.max(Math.floor(alpha * k), 1), k));
    }));
    expect([0, 11, 51, 8001].map((t) => pixelsToSwap(fractionAt(0.3, t, 10000), 100))).toEqual([30, 15, 7, 1]);
  });

  it('keeps k distinct pixels, moves exactly the drawn number, paints corners of {0, 1}^C', () => {
    const layout: PixelLayout = { pixels: 20, channels: 3 };
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 19 }), fc.integer({ min: 1, max: 19 }), (seed, k, swapWanted) => {
      const swap = Math.min(swapWanted, k);
      const gen = new Generator(seed);
      const x = Float64Array.from({ length: 60 }, (_, i) => 0.25 + (i % 7) / 20);
      const init = sparseInit(x, k, layout, gen);
      const next = sparseUpdate(x, init, swap, layout, gen);
      for (const cand of [init, next]) {
        expect(new Set(cand.pixels).size).toBe(k);
        expect(changed(Array.from(x), Array.from(cand.image), layout).sort((a, b) => a - b)).toEqual(Array.from(cand.pixels).sort((a, b) => a - b));
        for (const p of cand.pixels) for (let c = 0; c < 3; c++) expect([0, 1]).toContain(cand.image[c * 20 + p]);
      }
      const kept = Array.from(next.pixels).filter((p) => init.pixels.includes(p));
      expect(kept.length).toBe(k - Math.min(swap, 20 - k));
    }), { numRuns: 200 });
  });

  it('recolours instead of moving when every pixel is already perturbed', () => {
    const layout: PixelLayout = { pixels: 4, channels: 1 };
    const x = new Float64Array(4).fill(0.5);
    const init = sparseInit(x, 4, layout, new Generator(1));
    const next = sparseUpdate(x, init, 2, layout, new Generator(2));
    expect(Array.from(next.pixels).sort()).toEqual([0, 1, 2, 3]);
  });

  it('keeps each sample\'s loss non-increasing (a plain-JS linear model scores the candidates)', async () => {
    const layout: PixelLayout = { pixels: 9, channels: 1 };
    const W = [[0.3, -0.2, 0.1, 0.4, -0.1, 0.2, 0.0, 0.3, -0.3], [-0.1, 0.2, 0.3, -0.2, 0.1, 0.0, 0.4, -0.3, 0.2]];
    const xs = [0.2, 0.5, 0.8].map((v) => new Float64Array(9).fill(v));
    const gen = new Generator(9);
    const trace: Float64Array[] = [];
    await randomSearch<SparseCandidate>({
      samples: 3, doneAtStart: [false, false, false],
      init: (i) => sparseInit(xs[i]!, 3, layout, gen),
      propose: (i, best, t) => sparseUpdate(xs[i]!, best, pixelsToSwap(fractionAt(0.5, t, 40), 3), layout, gen),
      evaluate: async (_, cands) => {
        const loss = Float64Array.from(cands, (c) => margin(linearLogits(W, [2, 0], c.image), 0));
        return { loss, success: Array.from(loss, () => false) };
      },
    }, { queries: 40, onIteration: (_, loss) => trace.push(loss) });
    for (let i = 1; i < trace.length; i++) for (let s = 0; s < 3; s++) expect(trace[i]![s]!).toBeLessThanOrEqual(trace[i - 1]![s]!);
  });
});

describe('changedPixels', () => {
  it('counts a pixel once however many channels changed; other ranks count entries', () => {
    const delta = g.tensor([[[[0, 0.1], [0, 0]], [[0, 0.2], [0, -0.3]]]], { dtype: 'float64' }); // [1, 2, 2, 2]
    expect(arr(changedPixels(delta))).toEqual([2]);
    expect(arr(changedPixels(g.tensor([[0, 1, 0, 2], [0, 0, 0, 0]], { dtype: 'float64' })))).toEqual([2, 0]);
  });
});

describe('Sparse-RS on a model', () => {
  const model = tinyCnn(3, 'softmax', 5);
  const x = images([4, 1, 8, 8], 21);
  const y = predictions(model, x);
  const layout: PixelLayout = { pixels: 64, channels: 1 };

  it('never changes more than k pixels, and reports the changed-pixel count as its norm', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 12 }), async (seed, k) => {
      const r = await new SparseRS({ pixels: k, queries: 12, seed }).run(model, x, y);
      const xr = perSample(x), ar = perSample(r.adversarial);
      ar.forEach((row, i) => {
        const moved = changed(xr[i]!, row, layout);
        expect(moved.length).toBeLessThanOrEqual(k);
        expect(r.norms[i]).toBe(moved.length);
        for (const p of moved) expect([0, 1]).toContain(row[p]);
      });
      expect(r.adversarial.requiresGrad).toBe(false);
      r.adversarial.dispose();
    }), { numRuns: 5 });
  });

  it('succeeds with enough pixels, stopping each sample at its success', async () => {
    const r = await new SparseRS({ pixels: 16, queries: 300, seed: 1 }).run(model, x, y);
    expect(r.success).toEqual([true, true, true, true]);
    expect(r.queries!.every((q) => q >= 1 && q < 300)).toBe(true);
    expect(Math.max(...r.norms)).toBeLessThanOrEqual(16);
  });

  it('attacks flat inputs entry by entry', async () => {
    const linear = affineClassifier([[1, -1, 0.5, 0], [-1, 1, 0, 0.5]], [0.05, 0]);
    const xf = g.tensor([[0.6, 0.5, 0.5, 0.5], [0.5, 0.6, 0.5, 0.5]], { dtype: 'float64' });
    const yf = predictions(linear, xf);
    const r = await new SparseRS({ pixels: 1, queries: 50, seed: 3 }).run(linear, xf, yf);
    expect(r.success).toEqual([true, true]);
    expect(Array.from(r.norms)).toEqual([1, 1]);
  });

  it('same seed → identical output; another seed → another output', async () => {
    const a = await new SparseRS({ pixels: 3, queries: 10, seed: 4 }).run(model, x, y);
    const b = await new SparseRS({ pixels: 3, queries: 10, seed: 4 }).run(model, x, y);
    const c = await new SparseRS({ pixels: 3, queries: 10, seed: 5 }).run(model, x, y);
    expect(arr(a.adversarial)).toEqual(arr(b.adversarial));
    expect(arr(a.adversarial)).not.toEqual(arr(c.adversarial));
  });

  it('never takes a gradient', async () => {
    const trap = new GradientTrap(tinyCnn(3, 'softmax', 5));
    const targets = g.tensor(arr(y).map((v) => (v + 1) % 3), { dtype: 'int32' });
    await new SparseRS({ pixels: 4, queries: 8 }).run(trap, x, y);
    await new SparseRS({ pixels: 4, queries: 8 }).run(trap, x, y, targets);
    expect(trap.forwards).toBeGreaterThan(4);
    expect(trap.recordedForwards).toBe(0);
    expect(trap.inner.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('is registered as sparse-rs; k is required and validated', () => {
    const a = createAttack('sparse-rs', { pixels: 10, queries: 100 }) as SparseRS;
    expect([a.name, a.norm, a.pixels, a.queries, a.pInit]).toEqual(['Sparse-RS', 'l0', 10, 100, 0.3]);
    expect(() => new SparseRS({} as never)).toThrow(/Sparse-RS: pixels \(k, the most pixels that may change\) is required/);
    expect(() => new SparseRS({ pixels: 0 })).toThrow(/Sparse-RS: pixels must be a positive integer, got 0/);
    expect(() => new SparseRS({ pixels: 2, pInit: 2 })).toThrow(/Sparse-RS: pInit must be a fraction in \(0, 1\], got 2/);
  });
});

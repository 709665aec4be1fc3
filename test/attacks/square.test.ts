/**
 * Square Attack: the published p schedule, the sampling distribution of squares (sizes and
 * positions, against an independent replay of the generator's draws), the ε-ball and image range,
 * the L2 update's geometry, non-increasing loss, success, seeds, query counts, and no gradient.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as g from '../../src/index.js';
import { createAttack, fractionAt, HALVING_ITERATIONS, Square, squareSide } from '../../src/attacks/index.js';
import { randomSearch } from '../../src/attacks/random-search.js';
import { centredBump, l2Init, l2Update, linfInit, linfUpdate, type ImageGeometry } from '../../src/attacks/square-proposals.js';
import { Generator, wordToUniform } from '../../src/core/random.js';
import { SGD } from '../../src/optim/index.js';
import { arr, images, predictions, tinyCnn } from './fixtures.js';
import { GradientTrap, l2, linearLogits, margin, perSample } from './score-helpers.js';

/** The schedule as the paper states it for 10 000 iterations: [last iteration with this p, divisor]. */
const PUBLISHED: [number, number][] = [[10, 1], [50, 2], [200, 4], [500, 8], [1000, 16], [2000, 32], [4000, 64], [6000, 128], [8000, 256], [Infinity, 512]];
const publishedP = (pInit: number, t: number, queries: number) => {
  const it = Math.floor((t / queries) * 10000);
  return pInit / PUBLISHED.find(([last]) => it <= last)![1];
};

describe('Square schedule and window size', () => {
  it('halves p at the published iterations of a 10 000-query run', () => {
    expect([...HALVING_ITERATIONS]).toEqual([10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000]);
    const at = [0, 10, 11, 50, 51, 200, 201, 500, 501, 1000, 1001, 2000, 2001, 4000, 4001, 6000, 6001, 8000, 8001, 9999];
    expect(at.map((t) => fractionAt(0.8, t, 10000))).toEqual(
      [0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125, 0.00625, 0.00625, 0.003125, 0.003125, 0.0015625, 0.0015625]);
  });

  it('rescales the halving iterations to other budgets', () => {
    fc.assert(fc.property(fc.double({ min: 0.01, max: 1, noNaN: true }), fc.integer({ min: 1, max: 20000 }), fc.integer({ min: 0, max: 20000 }), (p, queries, t) => {
      expect(fractionAt(p, t, queries)).toBe(publishedP(p, t, queries));
    }));
    expect(fractionAt(0.8, 5, 5000)).toBe(0.8); // rescaled 10
    expect(fractionAt(0.8, 6, 5000)).toBe(0.4); // rescaled 12
  });

  it('window side = max(round(√(p·h·w)), 1) clipped to [1, min(h, w) − 1]', () => {
    fc.assert(fc.property(fc.double({ min: 1e-4, max: 1, noNaN: true }), fc.integer({ min: 2, max: 40 }), fc.integer({ min: 2, max: 40 }), (p, h, w) => {
      const s = squareSide(p, h, w);
      expect(s).toBe(Math.min(Math.max(Math.round(Math.sqrt(p * h * w)), 1), Math.min(h, w) - 1));
      expect(s).toBeGreaterThanOrEqual(1);
    }));
  });
});

const G1: ImageGeometry = { channels: 2, height: 7, width: 9 };
const filled = (geo: ImageGeometry, v: number) => new Float64Array(geo.channels * geo.height * geo.width).fill(v);

describe('Square L∞ sampling distribution', () => {
  it('draws the window corner uniformly in {0..H−s}×{0..W−s} and ±ε per channel (replayed from the same seed)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 6 }), (seed, side) => {
      const eps = 0.1, x = filled(G1, 0.5), best = filled(G1, 0.4);
      const out = linfUpdate(x, best, eps, side, G1, new Generator(seed));
      // independent replay: corner row, corner column, then one sign per channel (redrawn while nothing changes)
      const replay = new Generator(seed);
      const top = Math.floor(wordToUniform(replay.words(1)[0]!) * (G1.height - side + 1));
      const left = Math.floor(wordToUniform(replay.words(1)[0]!) * (G1.width - side + 1));
      let signs: number[];
      do signs = Array.from({ length: G1.channels }, () => (wordToUniform(replay.words(1)[0]!) < 0.5 ? -1 : 1));
      while (signs.every((s) => s < 0));
      expect(top).toBeLessThanOrEqual(G1.height - side);
      expect(left).toBeLessThanOrEqual(G1.width - side);
      const expected = best.slice();
      for (let c = 0; c < G1.channels; c++) {
        for (let r = top; r < top + side; r++) for (let q = left; q < left + side; q++) expected[(c * G1.height + r) * G1.width + q] = 0.5 + signs[c]! * eps;
      }
      expect(Array.from(out)).toEqual(Array.from(expected));
    }), { numRuns: 200 });
  });

  it('covers every corner position about equally often', () => {
    const gen = new Generator(3), side = 3, geo: ImageGeometry = { channels: 1, height: 6, width: 6 };
    const x = filled(geo, 0.5), best = filled(geo, 0.5);
    const counts = new Map<string, number>();
    const draws = 4000;
    for (let i = 0; i < draws; i++) {
      const out = linfUpdate(x, best, 0.2, side, geo, gen);
      const changed = Array.from(out).map((v, j) => (v !== 0.5 ? j : -1)).filter((j) => j >= 0);
      const key = `${Math.floor(changed[0]! / 6)},${changed[0]! % 6}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(16); // (6 − 3 + 1)² corners, all reached
    for (const c of counts.values()) expect(Math.abs(c - draws / 16)).toBeLessThan(5 * Math.sqrt(draws / 16));
  });

  it('initialises with vertical stripes of ±ε, constant down each column and channel', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
      const x = filled(G1, 0.5), out = linfInit(x, 0.25, G1, new Generator(seed));
      for (let c = 0; c < G1.channels; c++) {
        for (let q = 0; q < G1.width; q++) {
          const column = Array.from({ length: G1.height }, (_, r) => out[(c * G1.height + r) * G1.width + q]!);
          expect(new Set(column).size).toBe(1);
          expect([0.25, 0.75]).toContain(column[0]);
        }
      }
    }), { numRuns: 30 });
  });
});

describe('Square L2 geometry', () => {
  it('the centred bump η^(3,3) is 1/4 + 1 at the centre and 1/4 elsewhere (the paper\'s formula by hand)', () => {
    expect(Array.from(centredBump(3, 3))).toEqual([0.25, 0.25, 0.25, 0.25, 1.25, 0.25, 0.25, 0.25, 0.25]);
    const b = centredBump(5, 5);
    expect(b[12]).toBeCloseTo(1 / 9 + 1 / 4 + 1, 12);
    expect(b[6]).toBeCloseTo(1 / 9 + 1 / 4, 12);
  });

  it('init and updates stay on the ε-sphere without clipping, inside it with clipping, in [0, 1]', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), (seed, side, clipping) => {
      const gen = new Generator(seed), eps = clipping ? 3 : 0.5;
      const x = clipping ? Float64Array.from(images([1, 2, 7, 9], seed % 1000).dataSync()) : filled(G1, 0.5);
      let cur = l2Init(x, eps, G1, gen);
      const norms = [l2(Array.from(cur), Array.from(x))];
      for (let i = 0; i < 5; i++) {
        cur = l2Update(x, cur, eps, side, G1, gen);
        norms.push(l2(Array.from(cur), Array.from(x)));
        expect(cur.every((v) => v >= 0 && v <= 1)).toBe(true);
      }
      for (const n of norms) {
        if (clipping) expect(n).toBeLessThanOrEqual(eps + 1e-9);
        else expect(n).toBeCloseTo(eps, 9);
      }
    }), { numRuns: 60 });
  });

  it('empties the second window and keeps the perturbation elsewhere up to the common rescale', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
      const geo: ImageGeometry = { channels: 1, height: 12, width: 12 }, side = 3, eps = 1;
      const x = filled(geo, 0.5);
      const best = l2Init(x, eps, geo, new Generator(seed + 1));
      const out = l2Update(x, best, eps, side, geo, new Generator(seed));
      const replay = new Generator(seed);
      const corner = () => Math.floor(wordToUniform(replay.words(1)[0]!) * (12 - side + 1));
      const [t1, l1, t2, l2c] = [corner(), corner(), corner(), corner()];
      const inW = (i: number, t: number, l: number) => { const r = Math.floor(i / 12), c = i % 12; return r >= t && r < t + side && c >= l && c < l + side; };
      const ratios: number[] = [];
      for (let i = 0; i < 144; i++) {
        if (inW(i, t1, l1)) continue;
        if (inW(i, t2, l2c)) expect(out[i]).toBe(0.5);
        else if (Math.abs(best[i]! - 0.5) > 1e-9) ratios.push((out[i]! - 0.5) / (best[i]! - 0.5));
      }
      for (const r of ratios) expect(r).toBeCloseTo(ratios[0]!, 9);
    }), { numRuns: 40 });
  });
});

describe('Square random search', () => {
  const W = [[0.3, -0.2, 0.1, 0.4, -0.1, 0.2, 0.0, 0.3, -0.3], [-0.1, 0.2, 0.3, -0.2, 0.1, 0.0, 0.4, -0.3, 0.2]];
  const geo: ImageGeometry = { channels: 1, height: 3, width: 3 };

  it('keeps each sample\'s loss non-increasing (a plain-JS linear model scores the candidates)', async () => {
    for (const norm of ['linf', 'l2'] as const) {
      const xs = [0.2, 0.5, 0.8].map((v) => filled(geo, v));
      const gen = new Generator(7), eps = norm === 'linf' ? 0.05 : 0.1;
      const trace: Float64Array[] = [];
      const result = await randomSearch<Float64Array>({
        samples: 3, doneAtStart: [false, false, false],
        init: (i) => (norm === 'linf' ? linfInit : l2Init)(xs[i]!, eps, geo, gen),
        propose: (i, best, t) => (norm === 'linf' ? linfUpdate : l2Update)(xs[i]!, best, eps, squareSide(fractionAt(0.5, t, 60), 3, 3), geo, gen),
        evaluate: async (samples, cands) => {
          const loss = Float64Array.from(cands, (c) => margin(linearLogits(W, [1, 0], c), 0));
          return { loss, success: Array.from(loss, () => false) };
        },
      }, { queries: 60, onIteration: (_, loss) => trace.push(loss) });
      expect(trace.length).toBe(60);
      for (let i = 1; i < trace.length; i++) for (let s = 0; s < 3; s++) expect(trace[i]![s]!).toBeLessThanOrEqual(trace[i - 1]![s]!);
      expect(Array.from(result.queries)).toEqual([60, 60, 60]);
      expect(trace.at(-1)!.every((l, s) => l < trace[0]![s]!)).toBe(true);
    }
  });
});

describe('Square on a model', () => {
  const model = tinyCnn(3, 'softmax', 5);
  const x = images([4, 1, 8, 8], 21);
  const y = predictions(model, x);

  it('L∞: every entry moves by exactly ε or is clipped; L2: ‖δ‖ ≤ ε; all in [0, 1]', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 1e6 }), async (seed) => {
      const eps = 0.1;
      const r = await new Square({ epsilon: eps, queries: 15, seed }).run(model, x, y);
      const xr = perSample(x), ar = perSample(r.adversarial);
      ar.forEach((row, i) => row.forEach((v, j) => {
        expect(v >= 0 && v <= 1).toBe(true);
        const moved = Math.abs(Math.abs(v - xr[i]![j]!) - eps) < 1e-12;
        expect(moved || v === 0 || v === 1).toBe(true);
      }));
      expect(Math.max(...r.norms)).toBeLessThanOrEqual(eps + 1e-6); // norms are reported in float32
      const r2 = await new Square({ epsilon: 0.7, norm: 'l2', queries: 15, seed }).run(model, x, y);
      perSample(r2.adversarial).forEach((row, i) => {
        expect(row.every((v) => v >= 0 && v <= 1)).toBe(true);
        expect(l2(row, xr[i]!)).toBeLessThanOrEqual(0.7 + 1e-5);
      });
      r.adversarial.dispose();
      r2.adversarial.dispose();
    }), { numRuns: 4 });
  });

  it('succeeds at a large ε, stops querying a sample once it succeeds, and counts its queries', async () => {
    const r = await new Square({ epsilon: 0.4, queries: 200, pInit: 0.3, seed: 1 }).run(model, x, y);
    expect(r.success).toEqual([true, true, true, true]);
    expect(r.queries!.every((q) => q >= 1 && q < 200)).toBe(true);
    expect(arr(r.adversarial).every((v) => v >= 0 && v <= 1)).toBe(true);
    const l2r = await new Square({ epsilon: 3, norm: 'l2', queries: 200, pInit: 0.3, seed: 1 }).run(model, x, y);
    expect(l2r.success).toEqual([true, true, true, true]);
  });

  it('spends no query on a sample that is already misclassified, and the whole budget on one it cannot fool', async () => {
    const wrong = g.tensor([(arr(y)[0]! + 1) % 3, ...arr(y).slice(1)], { dtype: 'int32' });
    const r = await new Square({ epsilon: 0, queries: 12 }).run(model, x, wrong);
    expect(Array.from(r.queries!)).toEqual([0, 12, 12, 12]);
    expect(arr(r.adversarial)).toEqual(arr(x));
    expect(r.success).toEqual([true, false, false, false]);
  });

  it('reaches a given target with the cross-entropy loss', async () => {
    const targets = g.tensor(arr(y).map((v) => (v + 1) % 3), { dtype: 'int32' });
    const r = await new Square({ epsilon: 0.5, queries: 300, pInit: 0.3, seed: 2 }).run(model, x, y, targets);
    expect(Array.from(r.predictions)).toEqual(arr(targets));
  });

  it('same seed → identical output; another seed → another output', async () => {
    const a = await new Square({ epsilon: 0.05, queries: 10, seed: 4 }).run(model, x, y);
    const b = await new Square({ epsilon: 0.05, queries: 10, seed: 4 }).run(model, x, y);
    const c = await new Square({ epsilon: 0.05, queries: 10, seed: 5 }).run(model, x, y);
    expect(arr(a.adversarial)).toEqual(arr(b.adversarial));
    expect(arr(a.adversarial)).not.toEqual(arr(c.adversarial));
  });

  it('never takes a gradient: every forward runs unrecorded, the trap\'s backward is never reached', async () => {
    const trap = new GradientTrap(tinyCnn(3, 'softmax', 5));
    for (const norm of ['linf', 'l2'] as const) {
      const r = await new Square({ epsilon: 0.1, norm, queries: 8 }).run(trap, x, y);
      expect(r.adversarial.requiresGrad).toBe(false);
    }
    expect(trap.forwards).toBeGreaterThan(2);
    expect(trap.recordedForwards).toBe(0);
    expect(trap.inner.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('is registered as square with its options, and rejects bad ones clearly', () => {
    const a = createAttack('square', { epsilon: 0.5, norm: 'l2', queries: 100, pInit: 0.2 }) as Square;
    expect([a.name, a.norm, a.queries, a.pInit]).toEqual(['Square-L2', 'l2', 100, 0.2]);
    expect((createAttack('square', { epsilon: 0.1 }) as Square).pInit).toBe(0.05);
    expect(a.withEpsilon(1).epsilon).toBe(1);
    expect(() => new Square({ epsilon: 0.1, pInit: 0 })).toThrow(/Square: pInit must be a fraction in \(0, 1\], got 0/);
    expect(() => new Square({ epsilon: 0.1, pInit: 1.5 })).toThrow(/pInit must be a fraction/);
    expect(() => new Square({ epsilon: 0.1, queries: 0 })).toThrow(/Square: queries must be a positive integer, got 0/);
    expect(() => new Square({ epsilon: 0.1, norm: 'l1' as never })).toThrow(/Square: norm must be one of 'linf', 'l2'/);
  });

  it('asks for images [N, C, H, W]', async () => {
    const flat = g.reshape(x, [4, 64]);
    const linear = tinyCnn(3, 'softmax', 5);
    await expect(new Square({ epsilon: 0.1, queries: 2 }).run({ training: false, train: () => undefined, forward: (t) => linear.forward(g.reshape(t, [-1, 1, 8, 8])) }, flat, y))
      .rejects.toThrow(/Square: needs images \[N, C, H, W\] with H, W >= 2.*got x \[4, 64\]/);
  });
});

describe('score-based attacks keep memory flat', () => {
  const model = tinyCnn(3, 'gm', 31);
  const x = g.keep(images([2, 1, 8, 8], 91));
  const y = g.keep(predictions(model, x));
  const live = () => g.getBackend().memory().liveBuffers;
  const cases: [string, (queries: number) => Square | ReturnType<typeof createAttack>][] = [
    ['square', (q) => new Square({ epsilon: 0.05, queries: q })],
    ['square-l2', (q) => new Square({ epsilon: 0.2, norm: 'l2', queries: q, target: 'random' })],
    ['sparse-rs', (q) => createAttack('sparse-rs', { pixels: 2, queries: q })],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      (await make(3).run(model, x, y)).adversarial.dispose();
      const before = live();
      const r = await make(9).run(model, x, y);
      r.adversarial.dispose();
      expect(live()).toBe(before);
    });
  }
});

describe('Square on a tiny trained model', () => {
  /** two classes of 1×8×8 images: the bright half is the top (0) or the bottom (1), plus noise */
  function halves(n: number, seed: number): { x: g.Tensor; y: g.Tensor } {
    const noise = new Generator(seed).uniform(n * 64, -0.15, 0.15);
    const ys = Array.from({ length: n }, (_, i) => i % 2);
    const v = Float64Array.from({ length: n * 64 }, (_, j) => {
      const i = Math.floor(j / 64), row = Math.floor((j % 64) / 8);
      return Math.min(1, Math.max(0, ((row < 4) === (ys[i] === 0) ? 0.8 : 0.2) + noise[j]!));
    });
    return { x: g.tensor(v, { dtype: 'float64', shape: [n, 1, 8, 8] }), y: g.tensor(ys, { dtype: 'int32' }) };
  }

  it('fools a model that classifies clean held-out images perfectly, at a large ε, in both norms', async () => {
    const model = tinyCnn(2, 'softmax', 7);
    const train = halves(16, 1);
    const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    model.train();
    for (let step = 0; step < 40; step++) {
      g.tidy(() => {
        g.crossEntropy(model.forward(train.x), train.y).backward();
        opt.step();
        opt.zeroGrad();
      });
    }
    model.eval();
    const test = halves(6, 2);
    expect(arr(predictions(model, test.x))).toEqual(arr(test.y));
    const linf = await new Square({ epsilon: 0.5, queries: 300, pInit: 0.3, seed: 3 }).run(model, test.x, test.y);
    expect(linf.success).toEqual(Array(6).fill(true));
    const l2r = await new Square({ epsilon: 4, norm: 'l2', queries: 300, pInit: 0.3, seed: 3 }).run(model, test.x, test.y);
    expect(l2r.success).toEqual(Array(6).fill(true));
    // and the success is the attack's doing: a tiny ε leaves most predictions alone
    const weak = await new Square({ epsilon: 0.02, queries: 50, seed: 3 }).run(model, test.x, test.y);
    expect(weak.success.filter(Boolean).length).toBeLessThan(3);
  });
});

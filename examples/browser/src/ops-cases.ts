/**
 * The ops the cross-backend check runs: a representative subset (matmul, conv2d forward and
 * gradients, softmax / cross-entropy, max-pooling, batch-norm, the fused GM loss with its
 * gradients, reductions, broadcasting binary ops). Inputs come from a seeded host generator so
 * every backend sees the same numbers; outputs and gradients are read back to the host.
 */
import {
  Generator, batchNorm, concat, conv2d, crossEntropy, gmLoss, matmul, max, maxPool2d, mean, mul, softmax, sub, sum, tensor, tidy,
  valueAndGrad, type Backend, type Tensor,
} from '../../../src/index.js';

export type Outputs = Record<string, Float32Array | Int32Array>;

export interface OpCase {
  name: string;
  run(backend: Backend): Promise<Outputs>;
}


function sizeOf(shape: number[]): number { return shape.reduce((a, b) => a * b, 1); }

/** uniform floats in [lo, hi) on `backend` */
function rand(backend: Backend, shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const data = Float32Array.from(new Generator(seed).uniform(sizeOf(shape), lo, hi));
  return tensor(data, { shape, backend });
}

function labels(backend: Backend, n: number, k: number, seed: number): Tensor {
  const u = new Generator(seed).uniform(n);
  return tensor(Int32Array.from(u, (v) => Math.floor(v * k)), { shape: [n], backend });
}

/** Σ out·G for a fixed random G: every output element gets its own cotangent */
function weighted(out: Tensor, seed: number): Tensor {
  return sum(mul(out, rand(out.backend, [...out.shape], seed)));
}

async function read(named: Record<string, Tensor>): Promise<Outputs> {
  const out: Outputs = {};
  try {
    for (const [k, t] of Object.entries(named)) {
      const d = await t.data();
      out[k] = d instanceof Int32Array ? Int32Array.from(d) : Float32Array.from(d);
    }
  } finally {
    for (const t of Object.values(named)) t.dispose();
  }
  return out;
}

/** value and gradients of `weighted(f(args))` with respect to every argument */
async function withGrads(names: string[], f: (...xs: Tensor[]) => Tensor, args: Tensor[], seed: number): Promise<Outputs> {
  const r = tidy(() => {
    const vg = valueAndGrad((...xs) => weighted(f(...xs), seed))(...args);
    return { forward: f(...args), value: vg.value, grads: vg.grads };
  });
  for (const a of args) a.dispose();
  const named: Record<string, Tensor> = { forward: r.forward, 'Σ out·G': r.value };
  r.grads.forEach((g, i) => { named[`d${names[i]}`] = g; });
  return read(named);
}

export const OP_CASES: OpCase[] = [
  {
    name: 'matmul [5×7]·[7×3]',
    run: (b) => withGrads(['A', 'B'], (a, c) => matmul(a, c), [rand(b, [5, 7], 1), rand(b, [7, 3], 2)], 3),
  },
  {
    name: 'matmul batched [2×4×6]·[6×5]',
    run: (b) => withGrads(['A', 'B'], (a, c) => matmul(a, c), [rand(b, [2, 4, 6], 4), rand(b, [6, 5], 5)], 6),
  },
  {
    name: 'conv2d 3→4, 3×3, padding 1',
    run: (b) => withGrads(['x', 'w', 'b'], (x, w, bias) => conv2d(x, w, bias, { padding: 1 }),
      [rand(b, [2, 3, 7, 7], 7), rand(b, [4, 3, 3, 3], 8, -0.5, 0.5), rand(b, [4], 9)], 10),
  },
  {
    name: 'conv2d 2→6, 5×5, stride 2, padding 2',
    run: (b) => withGrads(['x', 'w'], (x, w) => conv2d(x, w, null, { stride: 2, padding: 2 }),
      [rand(b, [2, 2, 9, 9], 11), rand(b, [6, 2, 5, 5], 12, -0.3, 0.3)], 13),
  },
  {
    name: 'softmax [4×10]',
    run: (b) => withGrads(['x'], (x) => softmax(x, -1), [rand(b, [4, 10], 14, -3, 3)], 15),
  },
  {
    name: 'crossEntropy [6×10]',
    run: (b) => {
      const y = labels(b, 6, 10, 16);
      return withGrads(['logits'], (x) => crossEntropy(x, y), [rand(b, [6, 10], 17, -4, 4)], 18).finally(() => y.dispose());
    },
  },
  {
    name: 'maxPool2d 2×2 [2×3×6×6]',
    run: (b) => withGrads(['x'], (x) => maxPool2d(x, 2), [rand(b, [2, 3, 6, 6], 19)], 20),
  },
  {
    name: 'batchNorm (training) [4×3×5×5]',
    run: async (b) => {
      const rm = tensor(new Float32Array(3), { shape: [3], backend: b });
      const rv = tensor(new Float32Array(3).fill(1), { shape: [3], backend: b });
      const out = await withGrads(['x', 'weight', 'bias'],
        (x, w, bias) => batchNorm(x, { training: true, weight: w, bias, runningMean: null, runningVar: null }),
        [rand(b, [4, 3, 5, 5], 21, -2, 3), rand(b, [3], 22, 0.5, 1.5), rand(b, [3], 23)], 24);
      // the running statistics update, once
      const x = rand(b, [4, 3, 5, 5], 21, -2, 3);
      tidy(() => { batchNorm(x, { training: true, runningMean: rm, runningVar: rv, momentum: 0.1 }); });
      x.dispose();
      const stats = await read({ runningMean: rm, runningVar: rv });
      return { ...out, ...stats };
    },
  },
  {
    name: 'gmLoss α=1, λ=0.1 [12×2], 10 classes',
    run: (b) => gmCase(b, 12, 2, 25),
  },
  {
    name: 'gmLoss α=1, λ=0.1 [9×16], 10 classes',
    run: (b) => gmCase(b, 9, 16, 26),
  },
  {
    name: 'reductions: sum over (0, 2), mean, max over 1',
    run: (b) => withGrads(['x'], (x) => concat([sum(x, [0, 2]), mean(x).reshape([1]), max(x, 1).reshape([-1])], 0), [rand(b, [3, 4, 5], 27)], 28),
  },
  {
    name: 'broadcast binary [3×1×5] ⊙ [4×1] − [5]',
    run: (b) => withGrads(['a', 'b', 'c'], (x, y, z) => sub(mul(x, y), z), [rand(b, [3, 1, 5], 29), rand(b, [4, 1], 30), rand(b, [5], 31)], 32),
  },
];

async function gmCase(b: Backend, n: number, d: number, seed: number): Promise<Outputs> {
  const y = labels(b, n, 10, seed);
  const f = rand(b, [n, d], seed + 100, -2, 2);
  const m = rand(b, [10, d], seed + 200, -2, 2);
  try {
    const r = tidy(() => {
      const vg = valueAndGrad((fx, mx) => gmLoss(fx, mx, y, { margin: 1, lambda: 0.1 }).loss)(f, m);
      const full = gmLoss(f, m, y, { margin: 1, lambda: 0.1 });
      return { loss: vg.value, dFeatures: vg.grads[0]!, dMeans: vg.grads[1]!, logits: full.logits, prediction: full.prediction, score: full.score };
    });
    return await read(r);
  } finally {
    y.dispose(); f.dispose(); m.dispose();
  }
}

export interface Comparison {
  output: string;
  maxAbs: number;
  /** the largest |a − b| / (1e-4 + 1e-3·|b|): ≤ 1 passes */
  worstRatio: number;
  ok: boolean;
  detail?: string;
}

export const TOL = { abs: 1e-4, rel: 1e-3 };

/** Compare a backend's outputs with the CPU reference: |a − b| ≤ 1e-4 + 1e-3·|b| element-wise. */
export function compare(test: Outputs, ref: Outputs): Comparison[] {
  const out: Comparison[] = [];
  for (const [name, r] of Object.entries(ref)) {
    const t = test[name];
    if (!t || t.length !== r.length) {
      out.push({ output: name, maxAbs: Infinity, worstRatio: Infinity, ok: false, detail: `length ${t?.length ?? 'missing'} vs ${r.length}` });
      continue;
    }
    let maxAbs = 0, worst = 0, at = -1;
    for (let i = 0; i < r.length; i++) {
      const diff = Math.abs(t[i]! - r[i]!);
      const ratio = Number.isNaN(diff) ? Infinity : diff / (TOL.abs + TOL.rel * Math.abs(r[i]!));
      if (diff > maxAbs || Number.isNaN(diff)) maxAbs = Number.isNaN(diff) ? Infinity : diff;
      if (ratio > worst) { worst = ratio; at = i; }
    }
    const ok = r instanceof Int32Array ? worst === 0 : worst <= 1;
    out.push({ output: name, maxAbs, worstRatio: worst, ok, detail: ok ? undefined : `element ${at}: ${t[at]} vs ${r[at]}` });
  }
  return out;
}

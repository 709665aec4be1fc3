/**
 * Deterministic inputs and the layout conversions between gmgrad (NCHW, weights OIHW, Linear
 * [out, in]) and TensorFlow.js (NHWC, filters HWIO, dense kernels [in, out]); plus the
 * agreement check every row prints.
 */

/** mulberry32: a tiny seeded generator so every implementation sees identical inputs */
export function seededUniform(n: number, seed: number, low = -1, high = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = low + (high - low) * u;
  }
  return out;
}

export function seededLabels(n: number, classes: number, seed: number): Int32Array {
  const u = seededUniform(n, seed, 0, 1);
  return Int32Array.from(u, (v) => Math.min(classes - 1, Math.floor(v * classes)));
}

/** [N, C, H, W] → [N, H, W, C] */
export function nchwToNhwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    out[((b * h + i) * w + j) * c + ch] = x[((b * c + ch) * h + i) * w + j]!;
  }
  return out;
}

/** [N, H, W, C] → [N, C, H, W] */
export function nhwcToNchw(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    out[((b * c + ch) * h + i) * w + j] = x[((b * h + i) * w + j) * c + ch]!;
  }
  return out;
}

/** weight [O, I, KH, KW] → filter [KH, KW, I, O] */
export function oihwToHwio(wt: Float32Array, o: number, i: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(wt.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
    out[((y * kw + x) * i + b) * o + a] = wt[((a * i + b) * kh + y) * kw + x]!;
  }
  return out;
}

/** filter [KH, KW, I, O] → weight [O, I, KH, KW] */
export function hwioToOihw(f: Float32Array, o: number, i: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(f.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
    out[((a * i + b) * kh + y) * kw + x] = f[((y * kw + x) * i + b) * o + a]!;
  }
  return out;
}

/** [rows, cols] → [cols, rows] */
export function transpose2d(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c]!;
  return out;
}

/**
 * The first Linear after a flatten: gmgrad flattens NCHW (index c·HW + h·W + w), TF.js flattens
 * NHWC (index (h·W + w)·C + c). Reorders the input dimension of a [out, C·H·W] weight and returns
 * the TF.js dense kernel [H·W·C, out].
 */
export function flattenedLinearToDense(wt: Float32Array, out: number, c: number, h: number, w: number): Float32Array {
  const inF = c * h * w;
  const dense = new Float32Array(wt.length);
  for (let o = 0; o < out; o++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) {
    dense[(p * c + ch) * out + o] = wt[o * inF + ch * h * w + p]!;
  }
  return dense;
}

export interface Agreement {
  /** max |a − b| over every output */
  maxAbs: number;
  /** maxAbs / max |reference| (scale-free) */
  rel: number;
  /** the fraction of values off by more than 1e-3·max |reference| */
  offFraction: number;
}

/** how far `got` is from `ref`, output by output (same count and sizes expected) */
export function agreement(ref: readonly Float32Array[], got: readonly Float32Array[]): Agreement {
  if (ref.length !== got.length) throw new Error(`agreement: ${got.length} outputs against ${ref.length} reference outputs`);
  let maxAbs = 0, scale = 0, count = 0;
  ref.forEach((r, k) => {
    const g = got[k]!;
    if (r.length !== g.length) throw new Error(`agreement: output ${k} has ${g.length} values, the reference ${r.length}`);
    for (let i = 0; i < r.length; i++) {
      const d = Math.abs(r[i]! - g[i]!);
      // NaN must fail the check, not vanish in Math.max
      maxAbs = Number.isNaN(d) || Number.isNaN(maxAbs) ? NaN : Math.max(maxAbs, d);
      scale = Math.max(scale, Math.abs(r[i]!));
    }
    count += r.length;
  });
  const threshold = 1e-3 * Math.max(scale, 1e-30);
  let off = 0;
  ref.forEach((r, k) => {
    const g = got[k]!;
    for (let i = 0; i < r.length; i++) if (!(Math.abs(r[i]! - g[i]!) <= threshold)) off++;
  });
  return { maxAbs, rel: maxAbs / Math.max(scale, 1e-30), offFraction: count ? off / count : 0 };
}

/**
 * Elementwise functions of one contiguous input. Each op has its own loop (rather than one loop
 * calling a function per element) so that V8 compiles a tight loop per op. Arithmetic is in
 * float64 (JavaScript numbers); storing into a Float32Array rounds once, into an Int32Array
 * truncates toward zero (and wraps, as C integer arithmetic does).
 */
import type { UnaryOp } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { normalCdf } from './erf.js';

type UnaryLoop = (x: TypedArray, y: TypedArray, n: number, p0: number, p1: number) => void;

/** softplus(x) = log(1 + e^x), returning x itself above this (PyTorch's threshold, beta = 1) */
const SOFTPLUS_THRESHOLD = 20;

export const UNARY_LOOPS: Readonly<Record<UnaryOp, UnaryLoop>> = {
  neg: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = -x[i]!; },
  abs: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = Math.abs(x[i]!); },
  // sign(0) = 0 (FGSM leaves zero-gradient pixels alone); sign(NaN) = 0 as in PyTorch's kernel
  sign: (x, y, n) => { for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v > 0 ? 1 : v < 0 ? -1 : 0; } },
  exp: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = Math.exp(x[i]!); },
  log: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = Math.log(x[i]!); },
  log1p: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = Math.log1p(x[i]!); },
  sqrt: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = Math.sqrt(x[i]!); },
  rsqrt: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = 1 / Math.sqrt(x[i]!); },
  square: (x, y, n) => { for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v * v; } },
  reciprocal: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = 1 / x[i]!; },
  sin: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = Math.sin(x[i]!); },
  cos: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = Math.cos(x[i]!); },
  tanh: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]!); },
  // written so that neither branch overflows: e^{-|x|} ≤ 1
  sigmoid: (x, y, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      if (v >= 0) y[i] = 1 / (1 + Math.exp(-v));
      else { const e = Math.exp(v); y[i] = e / (1 + e); }
    }
  },
  // NaN propagates (as PyTorch's relu); relu'(0) = 0 is the op layer's business
  relu: (x, y, n) => { for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v > 0 || v !== v ? v : 0; } },
  // exact form x·Φ(x), as PyTorch's default gelu
  gelu: (x, y, n) => { for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v * normalCdf(v); } },
  softplus: (x, y, n) => {
    for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v > SOFTPLUS_THRESHOLD ? v : Math.log1p(Math.exp(v)); }
  },
  floor: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = Math.floor(x[i]!); },
  isfinite: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = Number.isFinite(x[i]!) ? 1 : 0; },
  leakyRelu: (x, y, n, slope) => { for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v > 0 ? v : slope * v; } },
  // Math.max/min propagate NaN, as PyTorch's clamp does
  clamp: (x, y, n, lo, hi) => { for (let i = 0; i < n; i++) y[i] = Math.min(Math.max(x[i]!, lo), hi); },
  powScalar: (x, y, n, e) => {
    if (e === 2) { for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v * v; } return; }
    for (let i = 0; i < n; i++) y[i] = x[i]! ** e;
  },
  affine: (x, y, n, scale, shift) => { for (let i = 0; i < n; i++) y[i] = scale * x[i]! + shift; },
  normalCdf: (x, y, n) => { for (let i = 0; i < n; i++) y[i] = normalCdf(x[i]!); },
};

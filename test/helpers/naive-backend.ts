/**
 * A deliberately naive backend (plain loops, float64 arithmetic) used only to test the op layer
 * independently of the real backends' optimised kernels. It implements the required primitives
 * and declares no acceleration, so every fused op (convolution and pooling gradients, softmax, GM
 * loss, batch norm, attack step, optimizer updates) runs through its composed form on it.
 */
import type {
  Accelerations, Backend, BinaryOp, Conv2dParams, MatmulParams, MemoryInfo, Operand, Pool2dParams, ReduceOp, Storage, StridedView, UnaryOp,
} from '../../src/core/backend.js';
import { convIndexLoop, naiveMatmul } from './reference-kernels.js';
import { typedArrayFor, type DType, type TypedArray } from '../../src/core/dtype.js';

class NStorage implements Storage {
  constructor(readonly backend: Backend, readonly data: TypedArray, readonly dtype: DType) {}
  get size(): number { return this.data.length; }
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse for gradient checks; use a series / continued fraction
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = t, term = t;
    for (let n = 1; n < 100; n++) { term *= -t * t / n; const add = term / (2 * n + 1); sum += add; if (Math.abs(add) < 1e-17) break; }
    return Math.sign(x) * 2 / Math.sqrt(Math.PI) * sum;
  }
  // continued fraction for erfc
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (t + f);
  const erfc = Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
  return Math.sign(x) * (1 - erfc);
}

const UNARY: Record<UnaryOp, (x: number, p: readonly number[]) => number> = {
  neg: (x) => -x, abs: Math.abs, sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), exp: Math.exp, log: Math.log, log1p: Math.log1p,
  sqrt: Math.sqrt, rsqrt: (x) => 1 / Math.sqrt(x), square: (x) => x * x, reciprocal: (x) => 1 / x, sin: Math.sin, cos: Math.cos,
  tanh: Math.tanh, sigmoid: (x) => 1 / (1 + Math.exp(-x)), relu: (x) => (x > 0 ? x : 0),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)), softplus: (x) => (x > 20 ? x : Math.log1p(Math.exp(x))), floor: Math.floor,
  isfinite: (x) => (Number.isFinite(x) ? 1 : 0), leakyRelu: (x, p) => (x > 0 ? x : p[0]! * x),
  clamp: (x, p) => Math.min(Math.max(x, p[0]!), p[1]!), powScalar: (x, p) => x ** p[0]!, affine: (x, p) => p[0]! * x + p[1]!,
  normalCdf: (x) => 0.5 * (1 + erf(x / Math.SQRT2)),
};

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, pow: (a, b) => a ** b,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  eq: (a, b) => +(a === b), ne: (a, b) => +(a !== b), lt: (a, b) => +(a < b), le: (a, b) => +(a <= b), gt: (a, b) => +(a > b), ge: (a, b) => +(a >= b),
};

function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    yield idx;
    for (let d = shape.length - 1; d >= 0; d--) { if (++idx[d]! < shape[d]!) break; idx[d] = 0; }
  }
}

function at(view: StridedView, idx: number[]): number {
  let o = view.offset;
  for (let d = 0; d < idx.length; d++) o += idx[d]! * view.strides[d]!;
  return o;
}

export class NaiveBackend implements Backend {
  readonly name: string = 'naive';
  readonly accelerated: Accelerations = {};
  #live = 0;
  #bytes = 0;
  supportsDType(): boolean { return true; }
  #new(size: number, dtype: DType): NStorage {
    this.#live++; this.#bytes += size * (dtype === 'float64' ? 8 : 4);
    return new NStorage(this, typedArrayFor(dtype, size), dtype);
  }
  #d(s: Storage): TypedArray { return (s as NStorage).data; }
  alloc(size: number, dtype: DType): Storage { return this.#new(size, dtype); }
  upload(data: TypedArray): Storage { const s = this.#new(data.length, data instanceof Float64Array ? 'float64' : data instanceof Int32Array ? 'int32' : 'float32'); s.data.set(data); return s; }
  async read(s: Storage): Promise<TypedArray> { return this.#d(s).slice(); }
  readSync(s: Storage): TypedArray { return this.#d(s).slice(); }
  free(s: Storage): void { this.#live--; this.#bytes -= s.size * (s.dtype === 'float64' ? 8 : 4); }
  memory(): MemoryInfo { return { liveBuffers: this.#live, liveBytes: this.#bytes, pooledBytes: 0 }; }
  flush(): void {}
  fill(size: number, dtype: DType, value: number): Storage { const s = this.#new(size, dtype); s.data.fill(value); return s; }
  copy(x: Operand): Storage {
    const size = x.view.shape.reduce((a, b) => a * b, 1);
    const out = this.#new(size, x.storage.dtype);
    const src = this.#d(x.storage);
    let i = 0;
    for (const idx of indices(x.view.shape)) out.data[i++] = src[at(x.view, idx)]!;
    return out;
  }
  assign(dst: Storage, dstView: StridedView, src: Operand): void {
    const d = this.#d(dst), s = this.#d(src.storage);
    for (const idx of indices(dstView.shape)) d[at(dstView, idx)] = s[at(src.view, idx)]!;
  }
  cast(x: Storage, to: DType): Storage {
    const out = this.#new(x.size, to);
    const s = this.#d(x);
    for (let i = 0; i < x.size; i++) out.data[i] = to === 'int32' ? Math.trunc(s[i]!) : s[i]!;
    return out;
  }
  unary(op: UnaryOp, x: Storage, params: readonly number[] = []): Storage {
    const out = this.#new(x.size, x.dtype);
    const s = this.#d(x), f = UNARY[op];
    for (let i = 0; i < x.size; i++) out.data[i] = f(s[i]!, params);
    return out;
  }
  binary(op: BinaryOp, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const size = outShape.reduce((p, q) => p * q, 1);
    const out = this.#new(size, a.storage.dtype);
    const da = this.#d(a.storage), db = this.#d(b.storage), f = BINARY[op];
    let i = 0;
    for (const idx of indices(outShape)) out.data[i++] = f(da[at(a.view, idx)]!, db[at(b.view, idx)]!);
    return out;
  }
  where(cond: Operand, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const size = outShape.reduce((p, q) => p * q, 1);
    const out = this.#new(size, a.storage.dtype);
    const dc = this.#d(cond.storage), da = this.#d(a.storage), db = this.#d(b.storage);
    let i = 0;
    for (const idx of indices(outShape)) out.data[i++] = dc[at(cond.view, idx)] !== 0 ? da[at(a.view, idx)]! : db[at(b.view, idx)]!;
    return out;
  }
  reduce(op: ReduceOp, x: Storage, outer: number, red: number, inner: number): Storage {
    const arg = op === 'argmax' || op === 'argmin';
    const out = this.#new(outer * inner, arg ? 'int32' : x.dtype);
    const s = this.#d(x);
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
      let acc = op === 'sum' ? 0 : op === 'prod' ? 1 : op === 'max' || op === 'argmax' ? -Infinity : Infinity;
      let best = 0;
      for (let r = 0; r < red; r++) {
        const v = s[(o * red + r) * inner + i]!;
        if (op === 'sum') acc += v; else if (op === 'prod') acc *= v;
        else if (op === 'max' || op === 'argmax') { if (v > acc || Number.isNaN(v) && !Number.isNaN(acc)) { acc = v; best = r; } }
        else if (v < acc || Number.isNaN(v) && !Number.isNaN(acc)) { acc = v; best = r; }
      }
      out.data[o * inner + i] = arg ? best : acc;
    }
    return out;
  }
  matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    const out = this.#new(p.batch * p.m * p.n, a.dtype);
    out.data.set(naiveMatmul(this.#d(a), this.#d(b), p));
    return out;
  }
  conv2d(x: Storage, w: Storage, p: Conv2dParams): Storage {
    const out = this.#new(p.n * p.outC * p.outH * p.outW, x.dtype);
    const X = this.#d(x), W = this.#d(w);
    convIndexLoop(p, (xi, wi, yi) => { out.data[yi] += X[xi]! * W[wi]!; });
    return out;
  }
  #poolLoop(p: Pool2dParams, f: (plane: number, oi: number, cells: number[], total: number) => void): void {
    for (let pl = 0; pl < p.n * p.c; pl++) for (let oy = 0; oy < p.outH; oy++) for (let ox = 0; ox < p.outW; ox++) {
      const cells: number[] = [];
      let total = 0;
      for (let ky = 0; ky < p.kH; ky++) for (let kx = 0; kx < p.kW; kx++) {
        const iy = oy * p.strideH - p.padTop + ky, ix = ox * p.strideW - p.padLeft + kx;
        if (iy >= -p.padTop && iy < p.inH + p.padTop && ix >= -p.padLeft && ix < p.inW + p.padLeft) total++;
        if (iy < 0 || iy >= p.inH || ix < 0 || ix >= p.inW) continue;
        cells.push(iy * p.inW + ix);
      }
      f(pl, (pl * p.outH + oy) * p.outW + ox, cells, total);
    }
  }
  maxPool2d(x: Storage, p: Pool2dParams): { out: Storage; argmax: Storage } {
    const size = p.n * p.c * p.outH * p.outW;
    const out = this.#new(size, x.dtype), arg = this.#new(size, 'int32');
    const X = this.#d(x), plane = p.inH * p.inW;
    this.#poolLoop(p, (pl, oi, cells) => {
      let best = -Infinity, bi = cells[0] ?? 0;
      for (const c of cells) { const v = X[pl * plane + c]!; if (v > best) { best = v; bi = c; } }
      out.data[oi] = best; arg.data[oi] = bi;
    });
    return { out, argmax: arg };
  }
  avgPool2d(x: Storage, p: Pool2dParams): Storage {
    const out = this.#new(p.n * p.c * p.outH * p.outW, x.dtype);
    const X = this.#d(x), plane = p.inH * p.inW;
    this.#poolLoop(p, (pl, oi, cells, total) => {
      let s = 0;
      for (const c of cells) s += X[pl * plane + c]!;
      out.data[oi] = s / (p.countIncludePad ? total : cells.length);
    });
    return out;
  }
  gather(x: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    const out = this.#new(outer * count * inner, x.dtype);
    const X = this.#d(x), I = this.#d(index);
    for (let o = 0; o < outer; o++) for (let j = 0; j < count; j++) for (let i = 0; i < inner; i++) {
      const k = I[(o * count + j) * inner + i]!;
      if (k < 0 || k >= axis) throw new Error(`gather: index ${k} out of range [0, ${axis})`);
      out.data[(o * count + j) * inner + i] = X[(o * axis + k) * inner + i]!;
    }
    return out;
  }
  scatterAdd(src: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    const out = this.#new(outer * axis * inner, src.dtype);
    const S = this.#d(src), I = this.#d(index);
    for (let o = 0; o < outer; o++) for (let j = 0; j < count; j++) for (let i = 0; i < inner; i++) {
      out.data[(o * axis + I[(o * count + j) * inner + i]!) * inner + i] += S[(o * count + j) * inner + i]!;
    }
    return out;
  }
}

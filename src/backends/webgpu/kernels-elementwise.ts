/**
 * Elementwise kernels: fill, strided copy and assign, dtype conversion, unary and binary ops and
 * where. Strided operands are coalesced (gpu-views.ts) and the pipeline is specialised by rank,
 * dtype and op expression. Expressions are WGSL in terms of x (and y, the second operand) and the
 * op's parameters p0, p1; helpers (powF, maxNan, geluF, ...) live in shaders/math.wgsl and erf.wgsl.
 *
 * int32 follows the reference's semantics (compute, then store as a typed array does: truncate
 * toward zero): ops with an exact integer form use it (neg, abs, sign, square, relu, floor,
 * division with x/0 = 0, integer powers); the rest compute in float32 and convert back.
 */
import type { BinaryOp, StridedView, UnaryOp } from '../../core/backend.js';
import type { DType } from '../../core/dtype.js';
import { bitsOf, wgslType, type GpuContext } from './gpu-context.js';
import { fail } from './gpu-errors.js';
import { params, type ParamWriter } from './gpu-params.js';
import type { WebGpuStorage } from './gpu-storage.js';
import { MAX_RANK, coalesce, contiguousStrides, sizeOf } from './gpu-views.js';

const WG = 64;

export const UNARY_F32: Readonly<Record<UnaryOp, string>> = {
  neg: '-x',
  abs: 'abs(x)',
  sign: 'signF(x)',
  exp: 'exp(x)',
  log: 'logF(x)',
  log1p: 'log1pF(x)',
  sqrt: 'sqrtF(x)',
  rsqrt: '1.0 / sqrtF(x)',
  square: 'x * x',
  reciprocal: '1.0 / x',
  sin: 'sinF(x)',
  cos: 'cosF(x)',
  tanh: 'tanhF(x)',
  sigmoid: 'sigmoidF(x)',
  // NaN propagates (x <= 0 is false for NaN); −0 becomes 0
  relu: 'select(x, 0.0, x <= 0.0)',
  gelu: 'geluF(x)',
  softplus: 'softplusF(x)',
  floor: 'floor(x)',
  isfinite: 'select(0.0, 1.0, isFiniteF(x))',
  leakyRelu: 'select(p0 * x, x, x > 0.0)',
  clamp: 'select(min(max(x, p0), p1), x, isNan(x))',
  powScalar: 'powF(x, p0)',
  affine: 'p0 * x + p1',
  normalCdf: 'normalCdf(x)',
};

/** exact int32 forms; other ops go through float32 (opF) and back */
const UNARY_I32: Partial<Record<UnaryOp, string>> = {
  neg: '-x',
  abs: 'abs(x)',
  sign: 'sign(x)',
  square: 'x * x',
  relu: 'max(x, 0)',
  floor: 'x',
  isfinite: '1',
  powScalar: 'select(f32ToI32(powF(f32(x), p0)), powI(x, i32(p0)), p0 == floor(p0) && abs(p0) < 2147483648.0)',
};

export const BINARY_F32: Readonly<Record<BinaryOp, string>> = {
  add: 'x + y', sub: 'x - y', mul: 'x * y', div: 'x / y', pow: 'powF(x, y)',
  maximum: 'maxNan(x, y)', minimum: 'minNan(x, y)',
  // NaN compares unequal to everything, spelled out: implementations differ on ordered/unordered
  // comparisons (SwiftShader compiles != as ordered, so NaN != 1 came out false)
  eq: 'select(0.0, 1.0, x == y && !isNan(x) && !isNan(y))',
  ne: 'select(0.0, 1.0, x != y || isNan(x) || isNan(y))',
  lt: 'select(0.0, 1.0, x < y && !isNan(x) && !isNan(y))',
  le: 'select(0.0, 1.0, x <= y && !isNan(x) && !isNan(y))',
  gt: 'select(0.0, 1.0, x > y && !isNan(x) && !isNan(y))',
  ge: 'select(0.0, 1.0, x >= y && !isNan(x) && !isNan(y))',
};

/** ops whose NaN input does not simply give NaN (the others get an explicit NaN pass-through:
 *  builtins such as SwiftShader's exp return +∞ for NaN) */
const NAN_AWARE: ReadonlySet<UnaryOp> = new Set<UnaryOp>(['sign', 'isfinite', 'powScalar', 'clamp', 'relu']);

const BINARY_I32: Readonly<Record<BinaryOp, string>> = {
  add: 'x + y', sub: 'x - y', mul: 'x * y',
  // the reference divides in floating point and truncates: x/0 is ±∞ or NaN, stored as 0
  div: 'select(0, x / y, y != 0)',
  pow: 'powI(x, y)', maximum: 'max(x, y)', minimum: 'min(x, y)',
  eq: 'select(0, 1, x == y)', ne: 'select(0, 1, x != y)', lt: 'select(0, 1, x < y)',
  le: 'select(0, 1, x <= y)', gt: 'select(0, 1, x > y)', ge: 'select(0, 1, x >= y)',
};

function rankOf(kernel: string, shape: readonly number[]): number {
  if (shape.length > MAX_RANK) fail(kernel, `a view of ${shape.length} non-mergeable dimensions exceeds the ${MAX_RANK} the elementwise kernels take`);
  return shape.length;
}

/** shape and strides as array<vec4, 2> blocks */
function writeShape(w: ParamWriter, shape: readonly number[]): void {
  w.vec4s(shape, 2, false, 1);
}
function writeStrides(w: ParamWriter, strides: readonly number[]): void {
  w.vec4s(strides, 2, true, 0);
}

export function fill(ctx: GpuContext, s: WebGpuStorage, value: number): void {
  if (s.size > 0) ctx.fillBits(s, bitsOf(value, s.dtype));
}

/**
 * dst through dstView = src through srcView (shapes equal). When both views coalesce to one
 * contiguous run, this is a buffer copy; otherwise the strided kernel.
 */
export function stridedCopy(ctx: GpuContext, kernel: string, src: WebGpuStorage, srcView: StridedView,
  dst: WebGpuStorage, dstView: StridedView): void {
  const count = sizeOf(srcView.shape);
  if (count === 0) return;
  const c = coalesce(srcView.shape, [srcView.strides, dstView.strides]);
  const [ss, ds] = c.strides as [number[], number[]];
  if (c.shape.length === 1 && ss[0] === 1 && ds[0] === 1) {
    ctx.recorder.copy(src.pooled, dst.pooled, count * 4, srcView.offset * 4, dstView.offset * 4);
    return;
  }
  const rank = rankOf(kernel, c.shape);
  const w = params();
  writeShape(w, c.shape);
  writeStrides(w, ss);
  writeStrides(w, ds);
  w.i32(srcView.offset).i32(dstView.offset).u32(count);
  ctx.run(kernel, { shaders: ['viewCopy'], subs: { RANK: rank, WG }, layout: ['uniform', 'read', 'rw'] },
    w.bytes(), [src, dst], Math.ceil(count / WG));
}

export function contiguousView(shape: readonly number[]): StridedView {
  return { shape, strides: contiguousStrides(shape), offset: 0 };
}

export function cast(ctx: GpuContext, kernel: string, x: WebGpuStorage, to: DType, out: WebGpuStorage): void {
  if (x.size === 0) return;
  if (x.dtype === to) {
    ctx.recorder.copy(x.pooled, out.pooled, x.bytes);
    return;
  }
  const convert = to === 'int32' ? 'f32ToI32' : 'f32';
  ctx.run(kernel, { shaders: ['convertDtype'], subs: { FROM: wgslType(x.dtype), TO: wgslType(to), CONVERT: convert, WG }, layout: ['uniform', 'read', 'rw'] },
    params().u32(x.size).bytes(), [x, out], Math.ceil(x.size / WG));
}

export function unary(ctx: GpuContext, kernel: string, op: UnaryOp, x: WebGpuStorage, p: readonly number[], out: WebGpuStorage): void {
  if (x.size === 0) return;
  const isInt = x.dtype === 'int32';
  const expr = isInt ? (UNARY_I32[op] ?? 'f32ToI32(opF(f32(x), p0, p1))')
    : NAN_AWARE.has(op) ? 'opF(x, p0, p1)' : 'select(opF(x, p0, p1), x, isNan(x))';
  ctx.run(kernel, {
    shaders: ['unaryMap'],
    subs: { T: wgslType(x.dtype), EXPR: expr, EXPR_F32: UNARY_F32[op], WG },
    layout: ['uniform', 'read', 'rw'],
  }, params().u32(x.size).f32(p[0] ?? 0).f32(p[1] ?? 0).bytes(), [x, out], Math.ceil(x.size / WG));
}

export function binary(ctx: GpuContext, kernel: string, op: BinaryOp, a: WebGpuStorage, av: StridedView,
  b: WebGpuStorage, bv: StridedView, outShape: readonly number[], out: WebGpuStorage): void {
  binaryExpression(ctx, kernel, a.dtype === 'int32' ? BINARY_I32[op] : BINARY_F32[op], a, av, b, bv, outShape, out);
}

/**
 * ReLU's gradient (Accelerations.reluBackward), float32 g and y of one size: g where y > 0, else 0
 * (NaN y compares false)
 */
export function reluBackward(ctx: GpuContext, kernel: string, g: WebGpuStorage, y: WebGpuStorage, out: WebGpuStorage): void {
  const flat = { shape: [y.size], strides: [1], offset: 0 };
  binaryExpression(ctx, kernel, 'select(0.0, x, y > 0.0 && !isNan(y))', g, flat, y, flat, flat.shape, out);
}

/** out = expr(x, y) with x from a and y from b, both read through views of outShape */
function binaryExpression(ctx: GpuContext, kernel: string, expr: string, a: WebGpuStorage, av: StridedView,
  b: WebGpuStorage, bv: StridedView, outShape: readonly number[], out: WebGpuStorage): void {
  const count = sizeOf(outShape);
  if (count === 0) return;
  const c = coalesce(outShape, [av.strides, bv.strides]);
  const rank = rankOf(kernel, c.shape);
  const w = params();
  writeShape(w, c.shape);
  writeStrides(w, c.strides[0]!);
  writeStrides(w, c.strides[1]!);
  w.i32(av.offset).i32(bv.offset).u32(count);
  ctx.run(kernel, {
    shaders: ['binaryStrided'],
    subs: { T: wgslType(a.dtype), EXPR: expr, RANK: rank, WG },
    layout: ['uniform', 'read', 'read', 'rw'],
  }, w.bytes(), [a, b, out], Math.ceil(count / WG));
}

export function where(ctx: GpuContext, kernel: string, cond: WebGpuStorage, cv: StridedView, a: WebGpuStorage, av: StridedView,
  b: WebGpuStorage, bv: StridedView, outShape: readonly number[], out: WebGpuStorage): void {
  const count = sizeOf(outShape);
  if (count === 0) return;
  const c = coalesce(outShape, [cv.strides, av.strides, bv.strides]);
  const rank = rankOf(kernel, c.shape);
  const w = params();
  writeShape(w, c.shape);
  for (const s of c.strides) writeStrides(w, s);
  w.i32(cv.offset).i32(av.offset).i32(bv.offset).u32(count);
  ctx.run(kernel, {
    shaders: ['whereSelect'],
    subs: { TC: wgslType(cond.dtype), T: wgslType(a.dtype), RANK: rank, WG, COND_NAN: cond.dtype === 'int32' ? 'false' : 'isNan(c)' },
    layout: ['uniform', 'read', 'read', 'read', 'rw'],
  }, w.bytes(), [cond, a, b, out], Math.ceil(count / WG));
}

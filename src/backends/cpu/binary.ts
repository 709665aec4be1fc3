/**
 * Strided elementwise kernels: binary ops, where, and the strided copy behind copy/assign.
 * Operands are read through views (stride 0 broadcasts, negative strides flip); the output is
 * contiguous. Rows come from planRows/forEachRow; each op has its own row loop.
 */
import type { BinaryOp } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { contiguous, forEachRow, planRows, type StridedLike } from '../common/strided-rows.js';

type BinaryRow = (o: TypedArray, oi: number, a: TypedArray, ai: number, as: number,
  b: TypedArray, bi: number, bs: number, n: number) => void;

export const BINARY_ROWS: Readonly<Record<BinaryOp, BinaryRow>> = {
  add: (o, oi, a, ai, as, b, bi, bs, n) => { for (let t = 0; t < n; t++, ai += as, bi += bs) o[oi + t] = a[ai]! + b[bi]!; },
  sub: (o, oi, a, ai, as, b, bi, bs, n) => { for (let t = 0; t < n; t++, ai += as, bi += bs) o[oi + t] = a[ai]! - b[bi]!; },
  mul: (o, oi, a, ai, as, b, bi, bs, n) => { for (let t = 0; t < n; t++, ai += as, bi += bs) o[oi + t] = a[ai]! * b[bi]!; },
  div: (o, oi, a, ai, as, b, bi, bs, n) => { for (let t = 0; t < n; t++, ai += as, bi += bs) o[oi + t] = a[ai]! / b[bi]!; },
  pow: (o, oi, a, ai, as, b, bi, bs, n) => { for (let t = 0; t < n; t++, ai += as, bi += bs) o[oi + t] = a[ai]! ** b[bi]!; },
  // Math.max/min return NaN when either side is NaN, as torch.maximum/minimum do
  maximum: (o, oi, a, ai, as, b, bi, bs, n) => { for (let t = 0; t < n; t++, ai += as, bi += bs) o[oi + t] = Math.max(a[ai]!, b[bi]!); },
  minimum: (o, oi, a, ai, as, b, bi, bs, n) => { for (let t = 0; t < n; t++, ai += as, bi += bs) o[oi + t] = Math.min(a[ai]!, b[bi]!); },
  eq: (o, oi, a, ai, as, b, bi, bs, n) => { for (let t = 0; t < n; t++, ai += as, bi += bs) o[oi + t] = a[ai]! === b[bi]! ? 1 : 0; },
  ne: (o, oi, a, ai, as, b, bi, bs, n) => { for (let t = 0; t < n; t++, ai += as, bi += bs) o[oi + t] = a[ai]! !== b[bi]! ? 1 : 0; },
  lt: (o, oi, a, ai, as, b, bi, bs, n) => { for (let t = 0; t < n; t++, ai += as, bi += bs) o[oi + t] = a[ai]! < b[bi]! ? 1 : 0; },
  le: (o, oi, a, ai, as, b, bi, bs, n) => { for (let t = 0; t < n; t++, ai += as, bi += bs) o[oi + t] = a[ai]! <= b[bi]! ? 1 : 0; },
  gt: (o, oi, a, ai, as, b, bi, bs, n) => { for (let t = 0; t < n; t++, ai += as, bi += bs) o[oi + t] = a[ai]! > b[bi]! ? 1 : 0; },
  ge: (o, oi, a, ai, as, b, bi, bs, n) => { for (let t = 0; t < n; t++, ai += as, bi += bs) o[oi + t] = a[ai]! >= b[bi]! ? 1 : 0; },
};

/** out (contiguous, shape) = op(a, b) */
export function binaryInto(op: BinaryOp, out: TypedArray, shape: readonly number[],
  a: TypedArray, av: StridedLike, b: TypedArray, bv: StridedLike): void {
  const plan = planRows(shape, [contiguous(shape), av, bv]);
  const row = BINARY_ROWS[op];
  const n = plan.rowLength, [, as, bs] = plan.rowStrides as [number, number, number];
  forEachRow(plan, (s) => row(out, s[0]!, a, s[1]!, as, b, s[2]!, bs, n));
}

/** out (contiguous, shape) = cond != 0 ? a : b */
export function whereInto(out: TypedArray, shape: readonly number[], cond: TypedArray, cv: StridedLike,
  a: TypedArray, av: StridedLike, b: TypedArray, bv: StridedLike): void {
  const plan = planRows(shape, [contiguous(shape), cv, av, bv]);
  const n = plan.rowLength, [, cs, as, bs] = plan.rowStrides as [number, number, number, number];
  forEachRow(plan, (s) => {
    let oi = s[0]!, ci = s[1]!, ai = s[2]!, bi = s[3]!;
    for (let t = 0; t < n; t++, oi++, ci += cs, ai += as, bi += bs) out[oi] = cond[ci] !== 0 ? a[ai]! : b[bi]!;
  });
}

/** dst (through dv) = src (through sv), elementwise over shape; converts between dtypes on store */
export function stridedCopy(dst: TypedArray, dv: StridedLike, src: TypedArray, sv: StridedLike, shape: readonly number[]): void {
  const plan = planRows(shape, [dv, sv]);
  const n = plan.rowLength, [ds, ss] = plan.rowStrides as [number, number];
  forEachRow(plan, (s) => {
    let di = s[0]!, si = s[1]!;
    if (ds === 1 && ss === 1) {
      // native block copy; it converts between element types and handles overlap
      dst.set(src.subarray(si, si + n), di);
      return;
    }
    if (ds === 1 && ss === 0) {
      // a broadcast row (expand): one value repeated, natively
      dst.fill(src[si]!, di, di + n);
      return;
    }
    for (let t = 0; t < n; t++, di += ds, si += ss) dst[di] = src[si]!;
  });
}

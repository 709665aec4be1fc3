/** Batched matmul over the blocked GEMM: out [batch, m, n] = op(a[b]) · op(b[b]). */
import type { MatmulParams } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { gemm, type MatrixView } from './gemm.js';
import type { Scratch } from './scratch.js';

export function matmulInto(a: TypedArray, b: TypedArray, out: TypedArray, p: MatmulParams, scratch: Scratch): void {
  const { batch, m, n, k, transA, transB } = p;
  // transposes are strides, not copies: a is [k][m] when transA, b is [n][k] when transB
  const aRow = transA ? 1 : k, aCol = transA ? m : 1;
  const bRow = transB ? 1 : n, bCol = transB ? k : 1;
  // float64 outputs are accumulated in place; others through a float64 block, rounded once
  const direct = out instanceof Float64Array;

  // one shared B under a stack of row-major A matrices is a single taller GEMM
  if (batch > 1 && p.bBatchStride === 0 && !transA && p.aBatchStride === m * k) {
    const rows = batch * m;
    const c = direct ? out : scratch.get('gemmOut', rows * n);
    gemm(rows, n, k, { data: a, offset: 0, rowStride: k, colStride: 1 }, { data: b, offset: 0, rowStride: bRow, colStride: bCol }, c, 0, n, false, scratch);
    if (!direct) out.set(c);
    return;
  }
  const c = direct ? out : scratch.get('gemmOut', m * n);
  for (let t = 0; t < batch; t++) {
    const av: MatrixView = { data: a, offset: t * p.aBatchStride, rowStride: aRow, colStride: aCol };
    const bv: MatrixView = { data: b, offset: t * p.bBatchStride, rowStride: bRow, colStride: bCol };
    gemm(m, n, k, av, bv, c, direct ? t * m * n : 0, n, false, scratch);
    if (!direct) out.set(c, t * m * n);
  }
}

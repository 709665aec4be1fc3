/**
 * Cache-blocked GEMM in float64: C (+)= A·B with A and B read through row/column strides (so
 * transposed operands need no transposing copy of their own), C a float64 array.
 *
 * Blocking: B is cut into KC×NC panels and A into MC×KC blocks; each is packed into a contiguous
 * float64 buffer (zero padded to a multiple of 4 in depth), which also converts float32/int32
 * inputs once per block, so the inner kernel only ever sees Float64Arrays (one shape for V8's JIT).
 * With KC=128 and NC=512 the packed B panel (512 KiB) stays in L2 while the rows of A sweep it.
 *
 * Kernel: loop order i-k-j. Two rows of C and four depths of A at a time: each pass over a row of
 * B does 8 multiply-adds per 4 loads of B and 2 loads/stores of C, and the inner j loop is
 * contiguous in both B and C. Zeros in A are not skipped: 0·Inf must still give NaN, as in
 * PyTorch, or a NaN in the activations would vanish from the weight gradient.
 */
import type { TypedArray } from '../../core/dtype.js';
import type { Scratch } from './scratch.js';

/** Element (r, c) of the matrix is data[offset + r·rowStride + c·colStride]. */
export interface MatrixView {
  readonly data: TypedArray;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

const KC = 128;
const MC = 64;
const NC = 512;

/**
 * c[cOffset + i·ldc + j] = (accumulate ? c[…] : 0) + Σ_p A(i, p)·B(p, j), for i < m, j < n.
 * A is m×k, B is k×n.
 */
export function gemm(m: number, n: number, k: number, a: MatrixView, b: MatrixView,
  c: Float64Array, cOffset: number, ldc: number, accumulate: boolean, scratch: Scratch): void {
  if (m === 0 || n === 0) return;
  if (!accumulate) for (let i = 0; i < m; i++) c.fill(0, cOffset + i * ldc, cOffset + i * ldc + n);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const kcp = (kc + 3) & ~3;
      const bp = scratch.get('packB', kcp * nc);
      packB(b, pc, jc, kc, nc, kcp, bp);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        const ap = scratch.get('packA', mc * kcp);
        packA(a, ic, pc, mc, kc, kcp, ap);
        kernel(ap, bp, c, cOffset + ic * ldc + jc, ldc, mc, nc, kcp);
      }
    }
  }
}

/** bp[p·nc + j] = B(pc + p, jc + j); rows kc..kcp are zero */
function packB(b: MatrixView, pc: number, jc: number, kc: number, nc: number, kcp: number, bp: Float64Array): void {
  const { data, rowStride: rs, colStride: cs } = b;
  const base = b.offset + pc * rs + jc * cs;
  if (cs === 1) {
    for (let p = 0; p < kc; p++) {
      const src = base + p * rs;
      bp.set(data.subarray(src, src + nc), p * nc);
    }
  } else if (Math.abs(rs) < Math.abs(cs)) {
    // transposed B: read down its columns, which are contiguous
    for (let j = 0; j < nc; j++) {
      const src = base + j * cs;
      for (let p = 0; p < kc; p++) bp[p * nc + j] = data[src + p * rs]!;
    }
  } else {
    for (let p = 0; p < kc; p++) {
      const src = base + p * rs, dst = p * nc;
      for (let j = 0; j < nc; j++) bp[dst + j] = data[src + j * cs]!;
    }
  }
  bp.fill(0, kc * nc, kcp * nc);
}

/** ap[i·kcp + p] = A(ic + i, pc + p); columns kc..kcp are zero */
function packA(a: MatrixView, ic: number, pc: number, mc: number, kc: number, kcp: number, ap: Float64Array): void {
  const { data, rowStride: rs, colStride: cs } = a;
  const base = a.offset + ic * rs + pc * cs;
  if (cs === 1) {
    for (let i = 0; i < mc; i++) {
      const src = base + i * rs;
      ap.set(data.subarray(src, src + kc), i * kcp);
    }
  } else if (Math.abs(rs) < Math.abs(cs)) {
    // transposed A: read down its columns, which are contiguous
    for (let p = 0; p < kc; p++) {
      const src = base + p * cs;
      for (let i = 0; i < mc; i++) ap[i * kcp + p] = data[src + i * rs]!;
    }
  } else {
    for (let i = 0; i < mc; i++) {
      const src = base + i * rs, dst = i * kcp;
      for (let p = 0; p < kc; p++) ap[dst + p] = data[src + p * cs]!;
    }
  }
  if (kcp !== kc) for (let i = 0; i < mc; i++) ap.fill(0, i * kcp + kc, (i + 1) * kcp);
}

/** C block (mc×nc at c0, row stride ldc) += packed A (mc×kcp) · packed B (kcp×nc) */
function kernel(ap: Float64Array, bp: Float64Array, c: Float64Array, c0: number, ldc: number,
  mc: number, nc: number, kcp: number): void {
  let i = 0;
  for (; i + 2 <= mc; i += 2) {
    const ar0 = i * kcp, ar1 = ar0 + kcp;
    const cr0 = c0 + i * ldc, cr1 = cr0 + ldc;
    for (let p = 0; p < kcp; p += 4) {
      const x0 = ap[ar0 + p]!, x1 = ap[ar0 + p + 1]!, x2 = ap[ar0 + p + 2]!, x3 = ap[ar0 + p + 3]!;
      const y0 = ap[ar1 + p]!, y1 = ap[ar1 + p + 1]!, y2 = ap[ar1 + p + 2]!, y3 = ap[ar1 + p + 3]!;
      const b0 = p * nc, b1 = b0 + nc, b2 = b1 + nc, b3 = b2 + nc;
      for (let j = 0; j < nc; j++) {
        const v0 = bp[b0 + j]!, v1 = bp[b1 + j]!, v2 = bp[b2 + j]!, v3 = bp[b3 + j]!;
        c[cr0 + j] += x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3;
        c[cr1 + j] += y0 * v0 + y1 * v1 + y2 * v2 + y3 * v3;
      }
    }
  }
  if (i < mc) {
    const ar0 = i * kcp, cr0 = c0 + i * ldc;
    for (let p = 0; p < kcp; p += 4) {
      const x0 = ap[ar0 + p]!, x1 = ap[ar0 + p + 1]!, x2 = ap[ar0 + p + 2]!, x3 = ap[ar0 + p + 3]!;
      const b0 = p * nc, b1 = b0 + nc, b2 = b1 + nc, b3 = b2 + nc;
      for (let j = 0; j < nc; j++) {
        c[cr0 + j] += x0 * bp[b0 + j]! + x1 * bp[b1 + j]! + x2 * bp[b2 + j]! + x3 * bp[b3 + j]!;
      }
    }
  }
}

/**
 * Textbook float64 matmul and conv2d (forward, input and weight gradients from one loop nest), the
 * references the backend kernel tests compare against: obviously right, deliberately slow.
 */
import type { Conv2dParams, MatmulParams } from '../../src/core/backend.js';

export function naiveMatmul(a: ArrayLike<number>, b: ArrayLike<number>, p: MatmulParams): Float64Array {
  const out = new Float64Array(p.batch * p.m * p.n);
  for (let t = 0; t < p.batch; t++) for (let i = 0; i < p.m; i++) for (let j = 0; j < p.n; j++) {
    let s = 0;
    for (let q = 0; q < p.k; q++) {
      s += a[t * p.aBatchStride + (p.transA ? q * p.m + i : i * p.k + q)]!
        * b[t * p.bBatchStride + (p.transB ? j * p.k + q : q * p.n + j)]!;
    }
    out[(t * p.m + i) * p.n + j] = s;
  }
  return out;
}

/** Calls f(x index, w index, y index) for every multiply-add of a conv2d, in a fixed order. */
export function convIndexLoop(p: Conv2dParams, f: (xi: number, wi: number, yi: number) => void): void {
  const cg = p.inC / p.groups, og = p.outC / p.groups;
  for (let n = 0; n < p.n; n++) for (let oc = 0; oc < p.outC; oc++) {
    const g = Math.floor(oc / og);
    for (let oy = 0; oy < p.outH; oy++) for (let ox = 0; ox < p.outW; ox++) {
      const yi = ((n * p.outC + oc) * p.outH + oy) * p.outW + ox;
      for (let c = 0; c < cg; c++) for (let ky = 0; ky < p.kH; ky++) for (let kx = 0; kx < p.kW; kx++) {
        const iy = oy * p.strideH - p.padTop + ky * p.dilationH, ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
        if (iy < 0 || iy >= p.inH || ix < 0 || ix >= p.inW) continue;
        f(((n * p.inC + g * cg + c) * p.inH + iy) * p.inW + ix, ((oc * cg + c) * p.kH + ky) * p.kW + kx, yi);
      }
    }
  }
}

/** y = conv2d(x, w), and with the upstream gradient dy: dx and dw */
export function naiveConv(p: Conv2dParams, x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>) {
  const y = new Float64Array(p.n * p.outC * p.outH * p.outW);
  const dx = new Float64Array(x.length), dw = new Float64Array(w.length);
  convIndexLoop(p, (xi, wi, yi) => {
    y[yi] += x[xi]! * w[wi]!;
    dx[xi] += dy[yi]! * w[wi]!;
    dw[wi] += x[xi]! * dy[yi]!;
  });
  return { y, dx, dw };
}

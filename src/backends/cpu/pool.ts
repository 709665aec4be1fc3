/**
 * Max and average pooling over NCHW planes, and their gradients.
 *
 * Max: the window is scanned in row-major order and a cell replaces the best only when strictly
 * greater, so ties go to the FIRST maximum (PyTorch's rule; flat MNIST backgrounds tie constantly).
 * Padding cells are never candidates. A NaN wins over numbers (the first NaN), so it propagates.
 * The argmax is the flat index h·inW + w inside the image plane.
 *
 * Average: the divisor is the window clipped to the padded input (count_include_pad, PyTorch's
 * default; windows hanging past the padding in ceil mode are clipped there too) or the number of
 * real cells.
 */
import type { Pool2dParams } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { poolInverseDivisors as inverseDivisors } from '../../core/kernel-contract.js';

export function maxPool2dInto(x: TypedArray, out: TypedArray, argmax: TypedArray, p: Pool2dParams): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = p;
  const plane = inH * inW, planes = p.n * p.c;
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * plane;
    for (let oy = 0; oy < outH; oy++) {
      const hs = oy * strideH - padTop;
      const h0 = Math.max(hs, 0), h1 = Math.min(hs + kH, inH);
      for (let ox = 0; ox < outW; ox++, o++) {
        const ws = ox * strideW - padLeft;
        const w0 = Math.max(ws, 0), w1 = Math.min(ws + kW, inW);
        let best = x[base + h0 * inW + w0]!, at = h0 * inW + w0;
        if (best === best) {
          scan: for (let h = h0; h < h1; h++) {
            const row = h * inW;
            for (let w = h === h0 ? w0 + 1 : w0; w < w1; w++) {
              const v = x[base + row + w]!;
              if (v > best) { best = v; at = row + w; } else if (v !== v) { best = v; at = row + w; break scan; }
            }
          }
        }
        out[o] = best;
        argmax[o] = at;
      }
    }
  }
}

/** dx (float64 accumulator, zeroed here) gets each dy at its window's argmax */
export function maxPool2dBackwardInto(dy: TypedArray, argmax: TypedArray, dx: Float64Array, p: Pool2dParams): void {
  const plane = p.inH * p.inW, outPlane = p.outH * p.outW, planes = p.n * p.c;
  dx.fill(0);
  for (let pl = 0; pl < planes; pl++) {
    const ib = pl * plane, ob = pl * outPlane;
    for (let i = 0; i < outPlane; i++) dx[ib + argmax[ob + i]!] += dy[ob + i]!;
  }
}

export function avgPool2dInto(x: TypedArray, out: TypedArray, p: Pool2dParams): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = p;
  const inv = inverseDivisors(p);
  const plane = inH * inW, planes = p.n * p.c;
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * plane;
    for (let oy = 0; oy < outH; oy++) {
      const hs = oy * strideH - padTop;
      const h0 = Math.max(hs, 0), h1 = Math.min(hs + kH, inH);
      for (let ox = 0; ox < outW; ox++, o++) {
        const ws = ox * strideW - padLeft;
        const w0 = Math.max(ws, 0), w1 = Math.min(ws + kW, inW);
        let s = 0;
        for (let h = h0; h < h1; h++) {
          const row = base + h * inW;
          for (let w = w0; w < w1; w++) s += x[row + w]!;
        }
        out[o] = s * inv[oy * outW + ox]!;
      }
    }
  }
}

/** dx (float64 accumulator, zeroed here) gets dy/divisor on every real cell of each window */
export function avgPool2dBackwardInto(dy: TypedArray, dx: Float64Array, p: Pool2dParams): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = p;
  const inv = inverseDivisors(p);
  const plane = inH * inW, planes = p.n * p.c;
  dx.fill(0);
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * plane;
    for (let oy = 0; oy < outH; oy++) {
      const hs = oy * strideH - padTop;
      const h0 = Math.max(hs, 0), h1 = Math.min(hs + kH, inH);
      for (let ox = 0; ox < outW; ox++, o++) {
        const ws = ox * strideW - padLeft;
        const w0 = Math.max(ws, 0), w1 = Math.min(ws + kW, inW);
        const g = dy[o]! * inv[oy * outW + ox]!;
        for (let h = h0; h < h1; h++) {
          const row = base + h * inW;
          for (let w = w0; w < w1; w++) dx[row + w] += g;
        }
      }
    }
  }
}

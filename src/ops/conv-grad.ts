/**
 * The two gradients of conv2d, written once: the backend's fused kernel where it lists one
 * (conv2dBackwardInput / conv2dBackwardWeight), otherwise the same numbers composed from the
 * primitives (strided copies, the forward convolution and GEMM). Called inside gradient rules, so
 * nothing here is recorded.
 */
import type { Conv2dParams } from '../core/backend.js';
import { accelerated } from '../core/accelerations.js';
import { tidy } from '../core/scope.js';
import { fromStorage, type Tensor } from '../core/tensor.js';
import { placeRaw, stridedCopy } from './raw.js';

/** dx [n, inC, inH, inW] of y = conv2d(x, w) given dy = ∂L/∂y */
export function conv2dInputGrad(dy: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const fused = accelerated(dy.backend, 'conv2dBackwardInput');
  if (fused) return fromStorage(fused(dy.storage, w.storage, p), [p.n, p.inC, p.inH, p.inW], dy.dtype);
  return tidy(() => composedInputGrad(dy, w, p));
}

/** dw [outC, inC/groups, kH, kW] of y = conv2d(x, w) given x and dy */
export function conv2dWeightGrad(x: Tensor, dy: Tensor, p: Conv2dParams): Tensor {
  const fused = accelerated(x.backend, 'conv2dBackwardWeight');
  if (fused) return fromStorage(fused(x.storage, dy.storage, p), [p.outC, p.inC / p.groups, p.kH, p.kW], x.dtype);
  return tidy(() => composedWeightGrad(x, dy, p));
}

/**
 * The transposed convolution: dx[ih] = Σ_{oh, kh : oh·s − pad + kh·d = ih} dy[oh]·w[kh]. Spread dy
 * onto a zero grid at rows oh·s + d·(kH − 1) − pad (rows outside the grid only ever met padding),
 * then run a stride-1 forward convolution with dilation d of that grid with the weights flipped in
 * space and transposed per group ([inC, outC/groups, kH, kW]): output row ih reads grid rows
 * ih + kh'·d, kh' = kH − 1 − kh.
 */
function composedInputGrad(dy: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const { n, inC, outC, kH, kW, groups } = p;
  const icg = inC / groups, ocg = outC / groups;
  const reachH = p.dilationH * (kH - 1), reachW = p.dilationW * (kW - 1);
  const gridH = p.inH + reachH, gridW = p.inW + reachW;
  // the output rows (and columns) whose grid row lands inside the grid
  const rows = validRange(p.outH, p.strideH, reachH - p.padTop, gridH);
  const cols = validRange(p.outW, p.strideW, reachW - p.padLeft, gridW);
  const grid = fromStorage(dy.backend.fill(n * outC * gridH * gridW, dy.dtype, 0), [n, outC, gridH, gridW], dy.dtype);
  if (rows.count > 0 && cols.count > 0 && n * outC > 0) {
    const plane = gridH * gridW;
    dy.backend.assign(grid.storage, {
      shape: [n, outC, rows.count, cols.count],
      strides: [outC * plane, plane, p.strideH * gridW, p.strideW],
      offset: (rows.first * p.strideH + reachH - p.padTop) * gridW + cols.first * p.strideW + reachW - p.padLeft,
    }, {
      storage: dy.storage,
      view: { shape: [n, outC, rows.count, cols.count], strides: [outC * p.outH * p.outW, p.outH * p.outW, p.outW, 1], offset: rows.first * p.outW + cols.first },
    });
  }
  const khw = kH * kW;
  // wT[g·icg + c][o][kh'][kw'] = w[g·ocg + o][c][kH − 1 − kh'][kW − 1 − kw']
  const wT = stridedCopy(w, {
    shape: [groups, icg, ocg, kH, kW],
    strides: [ocg * icg * khw, khw, icg * khw, -kW, -1],
    offset: khw - 1,
  });
  const q: Conv2dParams = {
    ...p, inC: outC, inH: gridH, inW: gridW, outC: inC, outH: p.inH, outW: p.inW, strideH: 1, strideW: 1, padTop: 0, padLeft: 0,
  };
  return fromStorage(dy.backend.conv2d(grid.storage, wT.storage, q), [n, inC, p.inH, p.inW], dy.dtype);
}

/** the outputs o in [0, count) with 0 <= o·stride + shift < limit, as [first, count] */
function validRange(count: number, stride: number, shift: number, limit: number): { first: number; count: number } {
  const first = Math.max(0, Math.ceil(-shift / stride));
  const last = Math.min(count - 1, Math.floor((limit - 1 - shift) / stride));
  return { first, count: Math.max(0, last - first + 1) };
}

/**
 * im2col + GEMM: dw[g] = dy[g] · cols[g]ᵀ with dy[g] [outC/groups, n·outH·outW] and
 * cols[g] [icg·kH·kW, n·outH·outW] the windows of the zero-padded input.
 */
function composedWeightGrad(x: Tensor, dy: Tensor, p: Conv2dParams): Tensor {
  const { n, inC, outC, kH, kW, groups, outH, outW } = p;
  const icg = inC / groups, ocg = outC / groups, hw = outH * outW, L = n * hw;
  const padH = Math.max(p.inH + p.padTop, (outH - 1) * p.strideH + p.dilationH * (kH - 1) + 1);
  const padW = Math.max(p.inW + p.padLeft, (outW - 1) * p.strideW + p.dilationW * (kW - 1) + 1);
  const padded = placeRaw(x, [n, inC, padH, padW], [0, 0, p.padTop, p.padLeft]);
  const plane = padH * padW;
  // cols[g][c][kh][kw][b][oh][ow] = padded[b][g·icg + c][oh·s + kh·d][ow·s + kw·d]
  const cols = stridedCopy(padded, {
    shape: [groups, icg, kH, kW, n, outH, outW],
    strides: [icg * plane, plane, p.dilationH * padW, p.dilationW, inC * plane, p.strideH * padW, p.strideW],
    offset: 0,
  });
  // dyG[g][o][b][pixel] = dy[b][g·ocg + o][pixel]
  const dyG = stridedCopy(dy, { shape: [groups, ocg, n, hw], strides: [ocg * hw, hw, outC * hw, 1], offset: 0 });
  const K = icg * kH * kW;
  const out = x.backend.matmul(dyG.storage, cols.storage, {
    batch: groups, m: ocg, n: K, k: L, transA: false, transB: true, aBatchStride: ocg * L, bBatchStride: K * L,
  });
  return fromStorage(out, [outC, icg, kH, kW], x.dtype);
}

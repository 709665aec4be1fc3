/**
 * 2-D convolution (NCHW, cross-correlation, zero padding, stride, dilation, groups) as GEMMs over
 * im2col patch matrices, one image and group at a time (so the patch buffer stays the size of one
 * image's patches, not the batch's):
 *
 *   cols [cg·kH·kW, outH·outW]  = im2col(x[b, group])
 *   forward          y[b, group]  = W[group] · cols                        (og × K)·(K × P)
 *   input gradient   dCols        = W[group]ᵀ · dy[b, group], then col2im  (K × og)·(og × P)
 *   weight gradient  dW[group]   += dy[b, group] · colsᵀ                   (og × P)·(P × K)
 *
 * Transposed operands are strides given to the GEMM, not copies. A 1×1, stride-1, unpadded
 * convolution skips im2col: the image itself is the patch matrix.
 */
import type { Conv2dParams } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { gemm, type MatrixView } from './gemm.js';
import type { Scratch } from './scratch.js';

interface ConvGeometry {
  /** input channels and output channels per group */
  cg: number;
  og: number;
  /** patch length cg·kH·kW (GEMM depth of the forward) */
  patch: number;
  /** output pixels per image */
  pixels: number;
  /** input pixels per channel */
  plane: number;
  /** 1×1, stride 1, no padding, same size: the input is already its own patch matrix */
  pointwise: boolean;
}

function geometry(p: Conv2dParams): ConvGeometry {
  const cg = p.inC / p.groups, og = p.outC / p.groups;
  return {
    cg, og,
    patch: cg * p.kH * p.kW,
    pixels: p.outH * p.outW,
    plane: p.inH * p.inW,
    pointwise: p.kH === 1 && p.kW === 1 && p.strideH === 1 && p.strideW === 1 && p.padTop === 0 && p.padLeft === 0
      && p.outH === p.inH && p.outW === p.inW,
  };
}

/** The outputs o in [lo, hi) whose input coordinate o·stride + shift lies in [0, size). */
function validOutputs(outSize: number, size: number, stride: number, shift: number): [number, number] {
  const lo = shift >= 0 ? 0 : Math.ceil(-shift / stride);
  const hi = Math.min(outSize, Math.floor((size - 1 - shift) / stride) + 1);
  return hi > lo ? [lo, hi] : [lo, lo];
}

/** cols[r·P + pixel] for r = (c·kH + ky)·kW + kx over channels c of x starting at xOff */
export function im2col(x: TypedArray, xOff: number, channels: number, p: Conv2dParams, cols: Float64Array): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padTop, padLeft, dilationH, dilationW } = p;
  const pixels = outH * outW;
  for (let c = 0; c < channels; c++) {
    const channel = xOff + c * inH * inW;
    for (let ky = 0; ky < kH; ky++) {
      for (let kx = 0; kx < kW; kx++) {
        const row = ((c * kH + ky) * kW + kx) * pixels;
        const shiftX = kx * dilationW - padLeft;
        const [ox0, ox1] = validOutputs(outW, inW, strideW, shiftX);
        for (let oy = 0; oy < outH; oy++) {
          const dst = row + oy * outW;
          const iy = oy * strideH - padTop + ky * dilationH;
          if (iy < 0 || iy >= inH || ox0 === ox1) {
            cols.fill(0, dst, dst + outW);
            continue;
          }
          const src = channel + iy * inW + shiftX;
          if (ox0 > 0) cols.fill(0, dst, dst + ox0);
          if (strideW === 1) cols.set(x.subarray(src + ox0, src + ox1), dst + ox0);
          else for (let ox = ox0; ox < ox1; ox++) cols[dst + ox] = x[src + ox * strideW]!;
          if (ox1 < outW) cols.fill(0, dst + ox1, dst + outW);
        }
      }
    }
  }
}

/** The adjoint of im2col: dx[xOff + …] += every patch entry of dCols at its input position. */
export function col2imAdd(dCols: Float64Array, dx: Float64Array, xOff: number, channels: number, p: Conv2dParams): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padTop, padLeft, dilationH, dilationW } = p;
  const pixels = outH * outW;
  for (let c = 0; c < channels; c++) {
    const channel = xOff + c * inH * inW;
    for (let ky = 0; ky < kH; ky++) {
      for (let kx = 0; kx < kW; kx++) {
        const row = ((c * kH + ky) * kW + kx) * pixels;
        const shiftX = kx * dilationW - padLeft;
        const [ox0, ox1] = validOutputs(outW, inW, strideW, shiftX);
        if (ox0 === ox1) continue;
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * strideH - padTop + ky * dilationH;
          if (iy < 0 || iy >= inH) continue;
          const src = row + oy * outW, dst = channel + iy * inW + shiftX;
          for (let ox = ox0; ox < ox1; ox++) dx[dst + ox * strideW] += dCols[src + ox]!;
        }
      }
    }
  }
}

export function conv2dInto(x: TypedArray, w: TypedArray, y: TypedArray, p: Conv2dParams, scratch: Scratch): void {
  const { cg, og, patch, pixels, plane, pointwise } = geometry(p);
  const direct = y instanceof Float64Array;
  const cols = pointwise ? null : scratch.get('columns', patch * pixels);
  const block = direct ? null : scratch.get('gemmOut', og * pixels);
  for (let b = 0; b < p.n; b++) {
    for (let g = 0; g < p.groups; g++) {
      const xOff = (b * p.inC + g * cg) * plane, yOff = (b * p.outC + g * og) * pixels;
      let patches: MatrixView;
      if (cols) {
        im2col(x, xOff, cg, p, cols);
        patches = { data: cols, offset: 0, rowStride: pixels, colStride: 1 };
      } else {
        patches = { data: x, offset: xOff, rowStride: plane, colStride: 1 };
      }
      const weights: MatrixView = { data: w, offset: g * og * patch, rowStride: patch, colStride: 1 };
      if (direct) {
        gemm(og, pixels, patch, weights, patches, y, yOff, pixels, false, scratch);
      } else {
        gemm(og, pixels, patch, weights, patches, block!, 0, pixels, false, scratch);
        y.set(block!, yOff);
      }
    }
  }
}

export function conv2dBackwardInputInto(dy: TypedArray, w: TypedArray, dx: TypedArray, p: Conv2dParams, scratch: Scratch): void {
  const { cg, og, patch, pixels, plane, pointwise } = geometry(p);
  const direct = dx instanceof Float64Array;
  const dCols = pointwise ? null : scratch.get('columns', patch * pixels);
  const groupSize = cg * plane;
  for (let b = 0; b < p.n; b++) {
    for (let g = 0; g < p.groups; g++) {
      const xOff = (b * p.inC + g * cg) * plane, yOff = (b * p.outC + g * og) * pixels;
      // Wᵀ: element (r, o) of the transposed group weight is w[(g·og + o)·patch + r]
      const weightsT: MatrixView = { data: w, offset: g * og * patch, rowStride: 1, colStride: patch };
      const grads: MatrixView = { data: dy, offset: yOff, rowStride: pixels, colStride: 1 };
      const target = direct ? dx : scratch.get('plane', groupSize);
      const tOff = direct ? xOff : 0;
      if (dCols) {
        gemm(patch, pixels, og, weightsT, grads, dCols, 0, pixels, false, scratch);
        target.fill(0, tOff, tOff + groupSize);
        col2imAdd(dCols, target, tOff, cg, p);
      } else {
        gemm(cg, pixels, og, weightsT, grads, target, tOff, pixels, false, scratch);
      }
      if (!direct) dx.set(target, xOff);
    }
  }
}

export function conv2dBackwardWeightInto(x: TypedArray, dy: TypedArray, dw: TypedArray, p: Conv2dParams, scratch: Scratch): void {
  const { cg, og, patch, pixels, plane, pointwise } = geometry(p);
  const direct = dw instanceof Float64Array;
  const sum = direct ? dw : scratch.get('accumulator', p.outC * patch);
  sum.fill(0);
  const cols = pointwise ? null : scratch.get('columns', patch * pixels);
  for (let b = 0; b < p.n; b++) {
    for (let g = 0; g < p.groups; g++) {
      const xOff = (b * p.inC + g * cg) * plane, yOff = (b * p.outC + g * og) * pixels;
      // patchesT: element (pixel, r) is patch entry r at that output pixel
      let patchesT: MatrixView;
      if (cols) {
        im2col(x, xOff, cg, p, cols);
        patchesT = { data: cols, offset: 0, rowStride: 1, colStride: pixels };
      } else {
        patchesT = { data: x, offset: xOff, rowStride: 1, colStride: plane };
      }
      const grads: MatrixView = { data: dy, offset: yOff, rowStride: pixels, colStride: 1 };
      gemm(og, patch, pixels, grads, patchesT, sum, g * og * patch, patch, true, scratch);
    }
  }
  if (!direct) dw.set(sum);
}

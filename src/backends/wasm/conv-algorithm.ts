/**
 * Which algorithm runs a float32 convolution on the wasm backend: the direct one (packed patches
 * and the GEMM micro-kernel, kernels/conv.ts) or Winograd F(m×m, r×r) (kernels/winograd-conv.ts),
 * chosen per pass and layer shape.
 */
import type { Conv2dParams } from '../../core/backend.js';
import type { WinogradVariant } from './kernels/winograd-conv.js';

export type ConvAlgorithmOption = 'auto' | 'direct' | 'winograd2' | 'winograd4';
export type ConvPass = 'forward' | 'backwardInput' | 'backwardWeight';

/**
 * Where Winograd can run at all: stride and dilation 1, one group, a square 3×3 or 5×5 kernel,
 * padding under the kernel's size, and input and output rows of at least 4 (a tile row is read
 * four columns at a time, never past its row).
 */
export function winogradApplies(p: Conv2dParams): boolean {
  const r = p.kH;
  return (r === 3 || r === 5) && p.kW === r && p.strideH === 1 && p.strideW === 1 && p.dilationH === 1
    && p.dilationW === 1 && p.groups === 1 && p.padTop >= 0 && p.padLeft >= 0 && p.padTop <= r - 1 && p.padLeft <= r - 1
    && p.n > 0 && p.inC > 0 && p.outC > 0 && p.outH > 0 && p.inW >= 4 && p.outW >= 4;
}

/**
 * The Winograd tile size to run this pass with, or null for the direct algorithm. 'auto' leaves
 * layers with few channels to the direct algorithm: the tile transforms cost per channel what the
 * GEMM saves per channel pair, so they pay only when both counts are large enough.
 */
export function chooseConvAlgorithm(pass: ConvPass, p: Conv2dParams, simd: boolean, option: ConvAlgorithmOption): WinogradVariant | null {
  if (!simd || option === 'direct' || !winogradApplies(p)) return null;
  const r = p.kH;
  if (option === 'winograd2') return { m: 2, r };
  if (option === 'winograd4') return { m: 4, r };
  // the GEMM's depth and height: input and output channels of the pass
  if (p.inC < 8 || p.outC < 8) return null;
  return { m: 4, r };
}

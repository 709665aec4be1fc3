/**
 * Which algorithm runs a float32 convolution on the wasm backend: the direct one (packed patches
 * and the GEMM micro-kernel, kernels/conv.ts) or Winograd F(m×m, r×r) (kernels/winograd-conv.ts),
 * chosen per pass and layer shape.
 */
import type { Conv2dParams } from '../../core/backend.js';
import type { WinogradVariant } from './kernels/winograd-conv.js';
import { IMPLICIT_MR, IMPLICIT_PIXELS } from './kernels/conv-implicit.js';
import { WG_CHANNELS } from './kernels/conv-implicit-weight-grad.js';

export type ConvAlgorithmOption = 'auto' | 'measure' | 'direct' | 'winograd2' | 'winograd4';
export type ConvPass = 'forward' | 'backwardInput' | 'backwardWeight';
export type DirectConvOption = 'auto' | 'packed' | 'implicit';

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
 * The Winograd tile size to run a layer with (all three passes), or null for the direct algorithm.
 * 'auto' leaves layers with few channels to the direct algorithm: the tile transforms cost per
 * channel what the GEMM saves per channel pair, so they pay only when both counts are large
 * enough (measured: 3 → 16 channels is 2–3× faster direct, 8 → 16 2–3× faster with F(4, 3)).
 */
export function chooseConvAlgorithm(p: Conv2dParams, simd: boolean, option: ConvAlgorithmOption): WinogradVariant | null {
  if (!simd || option === 'direct' || !winogradApplies(p)) return null;
  const r = p.kH;
  if (option === 'winograd2') return { m: 2, r };
  if (option === 'winograd4') return { m: 4, r };
  // the GEMM's depth and height: input and output channels of the pass
  if (p.inC < 8 || p.outC < 8) return null;
  return { m: 4, r };
}

/**
 * The choice, made per call: by the rule above, or with 'measure' by timing the direct algorithm,
 * F(2, r) and F(4, r) on the first call of each pass and layer shape (each run twice, the second
 * timed; the output is the fastest one's) and keeping the fastest for the shape. Measured choices
 * depend on the machine and its load, so two runs may pick differently and round differently:
 * 'auto' (the default) is reproducible, 'measure' is not.
 */
export class ConvAlgorithms {
  private readonly measured = new Map<string, WinogradVariant | null>();

  constructor(private readonly simd: boolean, private readonly option: ConvAlgorithmOption) {}

  /** run(null) runs the direct algorithm, run(v) Winograd F(v.m, v.r) */
  run(pass: ConvPass, p: Conv2dParams, run: (v: WinogradVariant | null) => void): void {
    if (this.option !== 'measure' || !this.simd || !winogradApplies(p)) { run(chooseConvAlgorithm(p, this.simd, this.option)); return; }
    const key = [pass, p.n, p.inC, p.outC, p.inH, p.inW, p.kH, p.padTop, p.padLeft, p.outH, p.outW].join(',');
    const known = this.measured.get(key);
    if (known !== undefined) { run(known); return; }
    const r = p.kH;
    const candidates: Array<WinogradVariant | null> = [null, { m: 2, r }, { m: 4, r }];
    let best: WinogradVariant | null = null, bestMs = Infinity;
    for (const c of candidates) {
      run(c);
      const t = performance.now();
      run(c);
      const ms = performance.now() - t;
      if (ms < bestMs) { bestMs = ms; best = c; }
    }
    this.measured.set(key, best);
    if (best !== candidates[candidates.length - 1]) run(best);
  }
}

/**
 * Where the implicit-GEMM kernels (kernels/conv-implicit.ts) can run a pass: one group, no
 * dilation, equal strides of 1 or 2, micro-tiles of 4 channels × 8 pixels of one output row
 * that divide the layer (the weight gradient: 8 channels, and pixels in fours); the input gradient only for stride 2
 * with an input exactly twice the output (each of its four phases then has output's size and at
 * least one tap).
 */
export function implicitApplies(pass: ConvPass, p: Conv2dParams): boolean {
  const s = p.strideH;
  if (p.groups !== 1 || p.dilationH !== 1 || p.dilationW !== 1 || (s !== 1 && s !== 2) || p.strideW !== s) return false;
  if (p.padTop < 0 || p.padLeft < 0 || p.n <= 0 || p.inC <= 0 || p.outC <= 0 || p.outH <= 0 || p.kH <= 0 || p.kW <= 0) return false;
  if (pass === 'backwardInput') {
    return s === 2 && p.inC % IMPLICIT_MR === 0 && p.outW % IMPLICIT_PIXELS === 0 && p.inH === 2 * p.outH && p.inW === 2 * p.outW
      && p.kH >= 2 && p.kW >= 2;
  }
  if (pass === 'backwardWeight') return p.outC % WG_CHANNELS === 0 && (p.outH * p.outW) % 4 === 0;
  return p.outC % IMPLICIT_MR === 0 && p.outW % IMPLICIT_PIXELS === 0;
}

/**
 * Whether a non-Winograd pass runs implicit (true) or with packed patches. 'auto': wherever it
 * applies with a GEMM depth (input channels × kernel taps) up to IMPLICIT_MAX_DEPTH. Measured
 * against packed patches on one thread: forward 1.3–1.5× and weight gradient 1.2–1.8× faster on
 * ResNet-20's first and downsampling layers and stride-1 layers of 8–64 channels (depth 27–576),
 * the stride-2 input gradient 1.3–1.4×; even at depth 1152 and slower at 2304, where the weight
 * panel and the patch rows one micro-tile reads outgrow the caches that packed blocks stay in.
 */
export function chooseImplicit(pass: ConvPass, p: Conv2dParams, simd: boolean, option: DirectConvOption): boolean {
  if (!simd || option === 'packed' || !implicitApplies(pass, p)) return false;
  return option === 'implicit' || p.inC * p.kH * p.kW <= IMPLICIT_MAX_DEPTH;
}

export const IMPLICIT_MAX_DEPTH = 1024;

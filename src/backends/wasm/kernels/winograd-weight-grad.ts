/**
 * The Winograd weight gradient, from differentiating Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A in g:
 *
 *   dW[k][c] = Gᵀ [ Σ_tiles (A dY_k Aᵀ) ⊙ (Bᵀ X_c B) ] G
 *
 * so the sum over tiles (every image, every tile) is one GEMM per ξ with the tiles as its depth:
 * M[ξ] [k × c] += D[ξ] [k × tiles] · X[ξ]ᵀ [tiles × c].
 *  - winogradWeightGrad_*: per block of tiles, the input transform (as the forward's, into rows of
 *    tiles per channel), the dY transform A dY Aᵀ (m × m → α × α) and the α² GEMMs into this
 *    thread's M (threads own fixed block ranges, so the sums' order never varies);
 *  - winogradWeightOut_*: dW = Gᵀ M G, four input channels at a time.
 */
import type { ModuleBuilder } from '../assembler.js';
import { fields } from '../layout.js';
import { I, addTo, assign, emit, fieldReader, forRange, when } from '../emit.js';
import type { GemmFunctions } from './gemm.js';
import { WINOGRAD_VARIANTS, emitBlockTiles, storeWords, tileOrigin, type WinogradVariant } from './winograd-conv.js';
import { transpose, winogradMatrices } from './winograd-matrices.js';
import { emitGatherRow, emitTransform2D, transformRegs } from './winograd-transform.js';

const suffix = (v: WinogradVariant) => `m${v.m}r${v.r}`;
export const winogradWeightGradDriver = (v: WinogradVariant) => `winogradWeightGrad_${suffix(v)}`;
export const winogradWeightOutDriver = (v: WinogradVariant) => `winogradWeightOut_${suffix(v)}`;

export function winogradWeightGradDrivers(): string[] {
  return WINOGRAD_VARIANTS.flatMap((v) => [winogradWeightGradDriver(v), winogradWeightOutDriver(v)]);
}

/**
 * x: the padded input (as the forward's: plane = hp·wp, rows wp long); dy [n, k] planes of dyPlane
 * elements, rows dyRow long, zero past the output (a padded copy when the tiles overhang it);
 * mOut: this thread's M [α²][k][c], added into. Blocks [u0, u1) of blockTiles tiles. Scratch: xBuf
 * (α²·c·blockTiles), dBuf (α²·k·blockTiles), tmp (α² vectors), tab (2 words per tile), and the
 * GEMM's bufA, bufB and edge tile.
 */
export const WINOGRAD_WEIGHT_GRAD_FIELDS = fields([
  'x', 'dy', 'mOut', 'c', 'k', 'wp', 'plane', 'dyRow', 'dyPlane', 'tilesX', 'tilesPerImage', 'tiles',
  'blockTiles', 'u0', 'u1', 'xBuf', 'dBuf', 'tmp', 'tab', 'bufA', 'bufB', 'tile',
] as const);

/** dw [k, c, r, r] = Gᵀ M G for output channels [k0, k1); M [α²][k][c] (with 4 floats of slack) */
export const WINOGRAD_WEIGHT_OUT_FIELDS = fields(['m', 'dw', 'k', 'c', 'k0', 'k1', 'tmp'] as const);

export function emitWinogradWeightGrad(mod: ModuleBuilder, simd: boolean, fma: boolean, gemm: GemmFunctions): void {
  if (!simd) {
    for (const name of winogradWeightGradDrivers()) mod.func(name, ['i32'], [], (f) => { f.op('unreachable'); });
    return;
  }
  for (const v of WINOGRAD_VARIANTS) {
    emitGradient(mod, fma, gemm, v);
    emitOut(mod, fma, v);
  }
}

function emitGradient(mod: ModuleBuilder, fma: boolean, gemm: GemmFunctions, v: WinogradVariant): void {
  const { BT, AT, alpha, m } = winogradMatrices(v.m, v.r);
  const A = transpose(AT);
  mod.func(winogradWeightGradDriver(v), ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, WINOGRAD_WEIGHT_GRAD_FIELDS);
    const x = P('x'), dy = P('dy'), mOut = P('mOut'), C = P('c'), K = P('k'), wp = P('wp'), plane = P('plane');
    const dyRow = P('dyRow'), dyPlane = P('dyPlane'), tilesX = P('tilesX'), tpi = P('tilesPerImage'), tiles = P('tiles');
    const T = P('blockTiles'), u0 = P('u0'), u1 = P('u1'), xBuf = P('xBuf'), dBuf = P('dBuf'), tmp = P('tmp'), tab = P('tab');
    const bufA = P('bufA'), bufB = P('bufB'), edge = P('tile');
    const L = () => f.local('i32');
    const unit = L(), t0 = L(), cnt = L(), groups = L();
    const g = L(), ch = L(), dst = L(), xi = L(), rowBytes = L(), planeBytes = L(), dyRowBytes = L(), dyPlaneBytes = L();
    const xStride = L(), dStride = L(), rowLen = L();
    const lanes = [L(), L(), L(), L()];
    const regs = transformRegs(f, alpha);
    const V = () => f.local('v128');
    const gather = { ptrs: [L(), L(), L(), L()], rows: [V(), V(), V(), V()], tmps: [V(), V(), V(), V()] };
    assign(f, rowBytes, I.shl(wp, 2));
    assign(f, planeBytes, I.shl(plane, 2));
    assign(f, dyRowBytes, I.shl(dyRow, 2));
    assign(f, dyPlaneBytes, I.shl(dyPlane, 2));
    assign(f, rowLen, I.shl(T, 2));
    assign(f, xStride, I.mul(C, rowLen));
    assign(f, dStride, I.mul(K, rowLen));

    /** the transform of every channel of a group of four tiles into rows of buf (ξ stride: stride) */
    const transformChannels = (count: typeof C, tabOffset: number, buf: typeof C, stride: typeof C, M: number[][],
      width: number, rowStep: typeof C, planeStep: typeof C) => {
      lanes.forEach((lane, l) => assign(f, lane, I.load(I.add(tab, I.shl(I.add(I.shl(g, 2), l), 3)), tabOffset)));
      assign(f, dst, I.add(buf, I.shl(g, 4)));
      forRange(f, ch, 0, count, 1, () => {
        emitTransform2D(f, fma, {
          M, tmp,
          loadRow: (i, out) => emitGatherRow(f, lanes, rowStep, i, width, out, gather),
          storeElem: (p, q, val) => { f.get(dst).i32(p * alpha + q).get(stride).op('i32.mul').op('i32.add').get(val).mem('v128.store'); },
        }, regs);
        for (const lane of lanes) addTo(f, lane, planeStep);
        addTo(f, dst, rowLen);
      });
    };

    forRange(f, unit, u0, u1, 1, () => {
      assign(f, t0, I.mul(unit, T));
      emitBlockTiles(f, { t0, cnt, groups, tiles, blockTiles: T, tilesPerImage: tpi, tilesX }, (e, _t, n, ty, tx) => {
        storeWords(f, I.add(tab, I.shl(e, 3)), [tileOrigin(x, n, C, plane, ty, tx, m, wp), tileOrigin(dy, n, K, dyPlane, ty, tx, m, dyRow)]);
      });
      forRange(f, g, 0, groups, 1, () => {
        transformChannels(C, 0, xBuf, xStride, BT, alpha, rowBytes, planeBytes);
        transformChannels(K, 4, dBuf, dStride, A, m, dyRowBytes, dyPlaneBytes);
      });
      // M[ξ] [k × c] += D[ξ] [k × cnt] · X[ξ]ᵀ: both operands are rows of tiles
      forRange(f, xi, 0, alpha * alpha, 1, () => {
        emit(f, I.add(dBuf, I.mul(xi, dStride))); f.get(rowLen); f.i32(4);
        emit(f, I.add(xBuf, I.mul(xi, xStride))); f.i32(4); f.get(rowLen);
        emit(f, I.at4(mOut, I.mul(I.mul(xi, K), C))); emit(f, I.shl(C, 2));
        for (const l of [K, C, cnt]) f.get(l);
        f.i32(1);
        for (const l of [bufA, bufB, edge]) f.get(l);
        f.call(gemm.gemmCore);
      });
    });
  });
}

function emitOut(mod: ModuleBuilder, fma: boolean, v: WinogradVariant): void {
  const { G, alpha } = winogradMatrices(v.m, v.r);
  const GT = transpose(G);
  const r = v.r;
  mod.func(winogradWeightOutDriver(v), ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, WINOGRAD_WEIGHT_OUT_FIELDS);
    const M = P('m'), dw = P('dw'), K = P('k'), C = P('c'), k0 = P('k0'), k1 = P('k1'), tmp = P('tmp');
    const k = f.local('i32'), c = f.local('i32'), src = f.local('i32'), dst = f.local('i32'), xiStride = f.local('i32');
    const regs = transformRegs(f, alpha);
    assign(f, xiStride, I.shl(I.mul(K, C), 2));
    forRange(f, k, k0, k1, 1, () => {
      forRange(f, c, 0, C, 4, () => {
        assign(f, src, I.at4(M, I.add(I.mul(k, C), c)));
        assign(f, dst, I.at4(dw, I.mul(I.add(I.mul(k, C), c), r * r)));
        emitTransform2D(f, fma, {
          M: GT, tmp,
          loadElem: (p, q) => { f.get(src).i32(p * alpha + q).get(xiStride).op('i32.mul').op('i32.add').mem('v128.load'); },
          storeElem: (i, j, val) => {
            for (let l = 0; l < 4; l++) {
              when(f, I.lt(I.add(c, l), C), () => {
                f.get(dst).get(val).lane('f32x4.extract_lane', l).mem('f32.store', (l * r * r + i * r + j) * 4);
              });
            }
          },
        }, regs);
      });
    });
  });
}

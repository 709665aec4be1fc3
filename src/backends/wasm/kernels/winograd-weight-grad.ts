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
import { I, assign, emit, fieldReader, forRange, when } from '../emit.js';
import type { GemmFunctions } from './gemm.js';
import { XI_PAD, emitBlockTiles, variantSuffix as suffix, type GroupFunctions, type WinogradVariant } from './winograd-groups.js';
import { DESCRIPTOR_BYTES, emitTileDescriptor } from './winograd-gather.js';
import { transpose, winogradMatrices } from './winograd-matrices.js';
import { XiCursor, emitTransform2D, transformRegs } from './winograd-transform.js';

export const winogradWeightGradDriver = (v: WinogradVariant) => `winogradWeightGrad_${suffix(v)}`;
export const winogradWeightOutDriver = (v: WinogradVariant) => `winogradWeightOut_${suffix(v)}`;

/**
 * x: the input [n, c, h, w] (padded by (padT, padL) on the fly, as the forward's); dy [n, k, outH,
 * outW] (zero past its edges); mOut: this thread's M [α²][k·c + XI_PAD], added into. Blocks [u0,
 * u1) of blockTiles tiles. Scratch: xBuf (α²·c·blockTiles + padding), dBuf (α²·k·blockTiles +
 * padding), tmp (α² vectors), tab (WEIGHT_GRAD_ENTRY_BYTES per tile), zero (8 zero floats), and the
 * GEMM's bufA, bufB and edge tile.
 */
export const WINOGRAD_WEIGHT_GRAD_FIELDS = fields([
  'x', 'dy', 'mOut', 'c', 'k', 'h', 'w', 'padT', 'padL', 'outH', 'outW', 'tilesX', 'tilesPerImage', 'tiles',
  'blockTiles', 'u0', 'u1', 'xBuf', 'dBuf', 'tmp', 'tab', 'bufA', 'bufB', 'tile', 'zero',
] as const);

/** a weight-gradient tile's table entry: the descriptors of its input window and of its dY tile */
export const WEIGHT_GRAD_ENTRY_BYTES = 2 * DESCRIPTOR_BYTES;

/** dw [k, c, r, r] = Gᵀ M G for output channels [k0, k1); M [α²][k·c + XI_PAD] (with 4 floats of slack) */
export const WINOGRAD_WEIGHT_OUT_FIELDS = fields(['m', 'dw', 'k', 'c', 'k0', 'k1', 'tmp'] as const);

/** the weight-gradient drivers of one tile size, over the forward's group transforms */
export function emitWeightGradient(mod: ModuleBuilder, fma: boolean, gemm: GemmFunctions, v: WinogradVariant, groups: GroupFunctions): void {
  const { alpha, m } = winogradMatrices(v.m, v.r);
  mod.func(winogradWeightGradDriver(v), ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, WINOGRAD_WEIGHT_GRAD_FIELDS);
    const x = P('x'), dy = P('dy'), mOut = P('mOut'), C = P('c'), K = P('k'), h = P('h'), w = P('w'), padT = P('padT');
    const padL = P('padL'), outH = P('outH'), outW = P('outW'), tilesX = P('tilesX'), tpi = P('tilesPerImage'), tiles = P('tiles');
    const T = P('blockTiles'), u0 = P('u0'), u1 = P('u1'), xBuf = P('xBuf'), dBuf = P('dBuf'), tmp = P('tmp'), tab = P('tab');
    const bufA = P('bufA'), bufB = P('bufB'), edge = P('tile'), zero = P('zero');
    const L = () => f.local('i32');
    const unit = L(), t0 = L(), cnt = L(), count = L(), g = L(), xi = L(), entry = L(), plane = L(), outPlane = L();
    const rowBytes = L(), planeBytes = L(), outRowBytes = L(), outPlaneBytes = L(), xStride = L(), dStride = L(), mStride = L(), rowLen = L();
    assign(f, plane, I.mul(h, w));
    assign(f, outPlane, I.mul(outH, outW));
    assign(f, rowBytes, I.shl(w, 2));
    assign(f, planeBytes, I.shl(plane, 2));
    assign(f, outRowBytes, I.shl(outW, 2));
    assign(f, outPlaneBytes, I.shl(outPlane, 2));
    assign(f, rowLen, I.shl(T, 2));
    assign(f, xStride, I.add(I.mul(C, rowLen), XI_PAD * 4));
    assign(f, dStride, I.add(I.mul(K, rowLen), XI_PAD * 4));
    assign(f, mStride, I.shl(I.add(I.mul(K, C), XI_PAD), 2));
    forRange(f, unit, u0, u1, 1, () => {
      assign(f, t0, I.mul(unit, T));
      emitBlockTiles(f, { t0, cnt, groups: count, tiles, blockTiles: T, tilesPerImage: tpi, tilesX }, (e, _t, n, ty, tx) => {
        assign(f, entry, I.add(tab, I.mul(e, WEIGHT_GRAD_ENTRY_BYTES)));
        emitTileDescriptor(f, entry, n, { base: x, channels: C, plane, h, w, iy: I.sub(I.mul(ty, m), padT), ix: I.sub(I.mul(tx, m), padL), width: alpha });
        assign(f, entry, I.add(entry, DESCRIPTOR_BYTES));
        emitTileDescriptor(f, entry, n, { base: dy, channels: K, plane: outPlane, h: outH, w: outW, iy: I.mul(ty, m), ix: I.mul(tx, m), width: m });
      });
      // rows of tiles per channel: X[ξ][c][tile] = Bᵀ x B and D[ξ][k][tile] = A dY Aᵀ
      forRange(f, g, 0, count, 1, () => {
        emit(f, I.add(tab, I.mul(g, 4 * WEIGHT_GRAD_ENTRY_BYTES))); f.i32(WEIGHT_GRAD_ENTRY_BYTES);
        for (const l of [C, planeBytes, rowBytes, h, zero]) f.get(l);
        emit(f, I.add(xBuf, I.shl(g, 4)));
        for (const l of [rowLen, xStride, tmp]) f.get(l);
        f.call(groups.input);
        emit(f, I.add(tab, I.add(I.mul(g, 4 * WEIGHT_GRAD_ENTRY_BYTES), DESCRIPTOR_BYTES))); f.i32(WEIGHT_GRAD_ENTRY_BYTES);
        for (const l of [K, outPlaneBytes, outRowBytes, outH, zero]) f.get(l);
        emit(f, I.add(dBuf, I.shl(g, 4)));
        for (const l of [rowLen, dStride, tmp]) f.get(l);
        f.call(groups.outputGradient);
      });
      // M[ξ] [k × c] += D[ξ] [k × cnt] · X[ξ]ᵀ: both operands are rows of tiles
      forRange(f, xi, 0, alpha * alpha, 1, () => {
        emit(f, I.add(dBuf, I.mul(xi, dStride))); f.get(rowLen); f.i32(4);
        emit(f, I.add(xBuf, I.mul(xi, xStride))); f.i32(4); f.get(rowLen);
        emit(f, I.add(mOut, I.mul(xi, mStride))); emit(f, I.shl(C, 2));
        for (const l of [K, C, cnt]) f.get(l);
        f.i32(1);
        for (const l of [bufA, bufB, edge]) f.get(l);
        f.call(gemm.gemmCore);
      });
    });
  });
  emitOut(mod, fma, v);
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
    const cursor = new XiCursor(f, alpha);
    assign(f, xiStride, I.shl(I.add(I.mul(K, C), XI_PAD), 2));
    forRange(f, k, k0, k1, 1, () => {
      forRange(f, c, 0, C, 4, () => {
        assign(f, src, I.at4(M, I.add(I.mul(k, C), c)));
        assign(f, dst, I.at4(dw, I.mul(I.add(I.mul(k, C), c), r * r)));
        cursor.start(src, xiStride);
        emitTransform2D(f, fma, {
          M: GT, tmp,
          loadElem: (p, q) => { f.get(cursor.at(p, q)).mem('v128.load'); },
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

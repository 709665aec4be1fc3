/**
 * Winograd convolution drivers (stride 1, r × r kernels), forward and input gradient (the latter is
 * a forward convolution of dY with the flipped, transposed weights):
 *
 *  - winogradPad: copies each input plane into a zero-padded one, so that every α × α input tile
 *    (including those over the border and past the last row or column) is plain memory;
 *  - winogradWeights_*: U[ξ] = G g Gᵀ for every (output, input) channel pair, written as the GEMM's
 *    packed A panels [ξ][output panel of 4][input channel][4];
 *  - winogradForward_*: per block of output tiles (the unit threads draw from a shared counter, so
 *    work is split per tile, not per image): the input transform Bᵀ d B of four tiles at a time (one
 *    per v128 lane), written as packed B panels [ξ][tile panel of 8][channel][8]; then per ξ one GEMM
 *    M[ξ] = U[ξ] · V[ξ] (the micro-kernel of gemm.ts); then the output transform Aᵀ M A, four tiles
 *    at a time, transposed in registers into rows of the output.
 *
 * One set of drivers per tile size F(m, r) (winograd-matrices.ts); SIMD only.
 */
import type { ModuleBuilder } from '../assembler.js';
import { fields } from '../layout.js';
import { I, addTo, assign, emit, fieldReader, forRange, forUnits, when } from '../emit.js';
import type { GemmFunctions } from './gemm.js';
import { transpose, winogradMatrices } from './winograd-matrices.js';
import { XiCursor, emitTransform2D, transformRegs } from './winograd-transform.js';
import {
  XI_PAD, emitBlockTiles, emitOutputGroup, emitTransformGroup, storeWords, tileOrigin, variantSuffix as suffix, type GroupFunctions, type WinogradVariant,
} from './winograd-groups.js';
import { emitWeightGradient, winogradWeightGradDriver, winogradWeightOutDriver } from './winograd-weight-grad.js';
import { DESCRIPTOR_BYTES, emitTileDescriptor } from './winograd-gather.js';

export type { WinogradVariant } from './winograd-groups.js';


/** the tile sizes the module carries drivers for */
export const WINOGRAD_VARIANTS: readonly WinogradVariant[] = [
  { m: 2, r: 3 }, { m: 4, r: 3 }, { m: 2, r: 5 }, { m: 4, r: 5 },
];

export const winogradForwardDriver = (v: WinogradVariant) => `winogradForward_${suffix(v)}`;
export const winogradWeightsDriver = (v: WinogradVariant) => `winogradWeights_${suffix(v)}`;

export function winogradDrivers(): string[] {
  return [...WINOGRAD_VARIANTS.flatMap((v) => [
    winogradWeightsDriver(v), winogradForwardDriver(v), winogradWeightGradDriver(v), winogradWeightOutDriver(v),
  ])];
}


/**
 * U [ξ][o panel][d][4] = G g Gᵀ of g = w[o·so + d·sd + (i·r + j)] (flip: (r−1−i)·r + r−1−j) for
 * output panels [p0, p1); opad = o rounded up to 4 (rows past o repeat the last one); tmp: scratch.
 */
export const WINOGRAD_WEIGHT_FIELDS = fields(['w', 'u', 'o', 'd', 'so', 'sd', 'flip', 'opad', 'p0', 'p1', 'tmp'] as const);

/**
 * x: the input [n, c, h, w], padded by (padT, padL) on the fly (no copy); u: the transformed weights
 * (kpad = k rounded up to 4); y: the output [n, k, outH, outW]. Tiles are numbered image by image,
 * row by row; work units are blocks of blockTiles tiles: [u0, u1) on this thread, or drawn from the
 * counter at `dyn` when it is not 0. Output channels are done kb at a time. Scratch: vBuf (α²·c·
 * blockTiles floats + padding), mBuf (α²·kb·blockTiles + padding), tmp (α² vectors), tab
 * (FORWARD_ENTRY_BYTES per tile), tile (the GEMM's edge tile), zero (8 zero floats).
 */
export const WINOGRAD_FORWARD_FIELDS = fields([
  'x', 'u', 'y', 'c', 'k', 'kpad', 'h', 'w', 'padT', 'padL', 'outH', 'outW', 'tilesX', 'tilesPerImage', 'tiles',
  'blockTiles', 'kb', 'dyn', 'u0', 'u1', 'vBuf', 'mBuf', 'tmp', 'tab', 'tile', 'zero',
] as const);

/** a forward tile's table entry: its window's descriptor, then [output address, valid rows, valid columns] */
export const FORWARD_ENTRY_BYTES = DESCRIPTOR_BYTES + 16;

/**
 * The drivers; a module without SIMD gets traps in their place (the algorithm chooser never picks
 * Winograd there, and every module exports the same driver list).
 */
export function emitWinograd(mod: ModuleBuilder, simd: boolean, fma: boolean, gemm: GemmFunctions): void {
  if (!simd) {
    for (const name of winogradDrivers()) mod.func(name, ['i32'], [], (f) => { f.op('unreachable'); });
    return;
  }
  for (const v of WINOGRAD_VARIANTS) {
    const { BT, AT, alpha, m } = winogradMatrices(v.m, v.r);
    if (alpha > 8) throw new Error(`winograd codegen: α = ${alpha} > 8 (two vectors per tile row)`);
    const groups: GroupFunctions = {
      input: emitTransformGroup(mod, fma, `winogradInputGroup_${suffix(v)}`, BT, alpha),
      outputGradient: emitTransformGroup(mod, fma, `winogradDyGroup_${suffix(v)}`, transpose(AT), m),
      output: emitOutputGroup(mod, fma, `winogradOutputGroup_${suffix(v)}`, AT),
    };
    emitWeights(mod, fma, v);
    emitForward(mod, gemm, v, groups);
    emitWeightGradient(mod, fma, gemm, v, groups);
  }
}


function emitWeights(mod: ModuleBuilder, fma: boolean, v: WinogradVariant): void {
  const { G, alpha } = winogradMatrices(v.m, v.r);
  const r = v.r;
  mod.func(winogradWeightsDriver(v), ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, WINOGRAD_WEIGHT_FIELDS);
    const w = P('w'), u = P('u'), O = P('o'), D = P('d'), so = P('so'), sd = P('sd'), flip = P('flip');
    const opad = P('opad'), p0 = P('p0'), p1 = P('p1'), tmp = P('tmp');
    const op = f.local('i32'), d = f.local('i32'), dst = f.local('i32'), xiStride = f.local('i32');
    const lanes = [0, 1, 2, 3].map(() => f.local('i32'));
    const regs = transformRegs(f, alpha);
    const cursor = new XiCursor(f, alpha);
    assign(f, xiStride, I.shl(I.add(I.mul(opad, D), XI_PAD), 2));
    forRange(f, op, p0, p1, 1, () => {
      lanes.forEach((lane, l) => assign(f, lane, I.at4(w, I.mul(I.min(I.add(I.shl(op, 2), l), I.sub(O, 1)), so))));
      assign(f, dst, I.add(u, I.shl(I.mul(op, D), 4)));
      forRange(f, d, 0, D, 1, () => {
        const transform = (flipped: boolean) => { cursor.start(dst, xiStride); emitTransform2D(f, fma, {
          M: G, tmp,
          loadElem: (i, j) => {
            const off = (flipped ? (r - 1 - i) * r + (r - 1 - j) : i * r + j) * 4;
            f.get(lanes[0]!).mem('f32.load', off).op('f32x4.splat');
            for (let l = 1; l < 4; l++) f.get(lanes[l]!).mem('f32.load', off).lane('f32x4.replace_lane', l);
          },
          storeElem: (p, q, val) => { f.get(cursor.at(p, q)).get(val).mem('v128.store'); },
        }, regs); };
        when(f, flip, () => transform(true), () => transform(false));
        for (const lane of lanes) addTo(f, lane, I.shl(sd, 2));
        addTo(f, dst, 16);
      });
    });
  });
}

function emitForward(mod: ModuleBuilder, gemm: GemmFunctions, v: WinogradVariant, groups: GroupFunctions): void {
  const { alpha, m } = winogradMatrices(v.m, v.r);
  mod.func(winogradForwardDriver(v), ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, WINOGRAD_FORWARD_FIELDS);
    const x = P('x'), u = P('u'), y = P('y'), C = P('c'), K = P('k'), kpad = P('kpad'), h = P('h'), w = P('w');
    const padT = P('padT'), padL = P('padL'), outH = P('outH'), outW = P('outW'), tilesX = P('tilesX'), tpi = P('tilesPerImage');
    const tiles = P('tiles'), T = P('blockTiles'), KB = P('kb'), dyn = P('dyn'), u0 = P('u0'), u1 = P('u1');
    const vBuf = P('vBuf'), mBuf = P('mBuf'), tmp = P('tmp'), tab = P('tab'), edge = P('tile'), zero = P('zero');
    const L = () => f.local('i32');
    const unit = L(), t0 = L(), cnt = L(), count = L(), ncols = L(), g = L(), entry = L(), plane = L(), outPlane = L();
    const vStride = L(), mStride = L(), uStride = L(), k0 = L(), kb = L(), xi = L(), rowBytes = L(), outRowBytes = L();
    const planeBytes = L(), outPlaneBytes = L(), rowLen = L();
    assign(f, plane, I.mul(h, w));
    assign(f, rowBytes, I.shl(w, 2));
    assign(f, planeBytes, I.shl(plane, 2));
    assign(f, outRowBytes, I.shl(outW, 2));
    assign(f, outPlane, I.mul(outH, outW));
    assign(f, outPlaneBytes, I.shl(outPlane, 2));
    assign(f, rowLen, I.shl(T, 2));
    assign(f, vStride, I.add(I.mul(C, rowLen), XI_PAD * 4));
    assign(f, mStride, I.add(I.mul(KB, rowLen), XI_PAD * 4));
    assign(f, uStride, I.shl(I.add(I.mul(kpad, C), XI_PAD), 2));

    forUnits(f, unit, I.sub(u1, u0), dyn, () => {
      assign(f, t0, I.mul(I.add(u0, unit), T));
      // the block's tiles: the input window's descriptor, then output address, valid rows and columns
      emitBlockTiles(f, { t0, cnt, groups: count, tiles, blockTiles: T, tilesPerImage: tpi, tilesX }, (e, t, n, ty, tx) => {
        assign(f, entry, I.add(tab, I.mul(e, FORWARD_ENTRY_BYTES)));
        emitTileDescriptor(f, entry, n, { base: x, channels: C, plane, h, w, iy: I.sub(I.mul(ty, m), padT), ix: I.sub(I.mul(tx, m), padL), width: alpha });
        storeWords(f, I.add(entry, DESCRIPTOR_BYTES), [
          tileOrigin(y, n, K, outPlane, ty, tx, m, outW),
          I.select(I.lt(t, tiles), I.min(m, I.sub(outH, I.mul(ty, m))), 0), I.min(m, I.sub(outW, I.mul(tx, m))),
        ]);
      });
      assign(f, ncols, I.and(I.add(cnt, 7), -8));
      // input transform into the GEMM's B panels [ξ][panel of 8 tiles][channel][8]
      forRange(f, g, 0, count, 1, () => {
        emit(f, I.add(tab, I.mul(g, 4 * FORWARD_ENTRY_BYTES))); f.i32(FORWARD_ENTRY_BYTES);
        for (const l of [C, planeBytes, rowBytes, h, zero]) f.get(l);
        emit(f, I.add(vBuf, I.shl(I.add(I.mul(I.shr(g, 1), I.shl(C, 3)), I.shl(I.and(g, 1), 2)), 2)));
        f.i32(32).get(vStride).get(tmp).call(groups.input);
      });
      forRange(f, k0, 0, K, KB, () => {
        assign(f, kb, I.sub(K, k0));
        assign(f, kb, I.min(kb, KB));
        // M[ξ] [kb × tiles] = U[ξ] (rows k0 …) · V[ξ]
        forRange(f, xi, 0, alpha * alpha, 1, () => {
          emit(f, I.add(I.add(u, I.mul(xi, uStride)), I.shl(I.mul(k0, C), 2)));
          emit(f, I.add(vBuf, I.mul(xi, vStride)));
          for (const l of [kb, ncols, C]) f.get(l);
          emit(f, I.add(mBuf, I.mul(xi, mStride)));
          f.get(rowLen).i32(0).get(edge).call(gemm.macro);
        });
        emit(f, I.add(tab, DESCRIPTOR_BYTES)); f.i32(FORWARD_ENTRY_BYTES).get(count);
        emit(f, I.mul(k0, outPlaneBytes));
        for (const l of [kb, outPlaneBytes, outRowBytes, mBuf, mStride, rowLen, tmp]) f.get(l);
        f.call(groups.output);
      });
    });
  });
}

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
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { fields } from '../layout.js';
import { I, addTo, assign, emit, fieldReader, forRange, forUnits, when, type Ex } from '../emit.js';
import type { GemmFunctions } from './gemm.js';
import { winogradMatrices } from './winograd-matrices.js';
import { emitGatherRow, emitTransform2D, emitTranspose4, transformRegs } from './winograd-transform.js';

export interface WinogradVariant {
  /** output tile side */
  m: number;
  /** kernel side */
  r: number;
}

/** the tile sizes the module carries drivers for */
export const WINOGRAD_VARIANTS: readonly WinogradVariant[] = [
  { m: 2, r: 3 }, { m: 4, r: 3 }, { m: 2, r: 5 }, { m: 4, r: 5 },
];

const suffix = (v: WinogradVariant) => `m${v.m}r${v.r}`;
export const winogradForwardDriver = (v: WinogradVariant) => `winogradForward_${suffix(v)}`;
export const winogradWeightsDriver = (v: WinogradVariant) => `winogradWeights_${suffix(v)}`;
export const WINOGRAD_PAD_DRIVER = 'winogradPad';

export function winogradDrivers(): string[] {
  return [WINOGRAD_PAD_DRIVER, ...WINOGRAD_VARIANTS.flatMap((v) => [winogradWeightsDriver(v), winogradForwardDriver(v)])];
}

/**
 * Planes [pl0, pl1) of x (h × w each, inPlane = h·w) into y (hp × wp each) at (padT, padL), zeros
 * around; rows/cols: how much of each input plane fits (the rest is cut).
 */
export const WINOGRAD_PAD_FIELDS = fields(['x', 'y', 'w', 'hp', 'wp', 'padT', 'padL', 'rows', 'cols', 'inPlane', 'pl0', 'pl1'] as const);

/**
 * U [ξ][o panel][d][4] = G g Gᵀ of g = w[o·so + d·sd + (i·r + j)] (flip: (r−1−i)·r + r−1−j) for
 * output panels [p0, p1); opad = o rounded up to 4 (rows past o repeat the last one); tmp: scratch.
 */
export const WINOGRAD_WEIGHT_FIELDS = fields(['w', 'u', 'o', 'd', 'so', 'sd', 'flip', 'opad', 'p0', 'p1', 'tmp'] as const);

/**
 * x: the padded input (plane = hp·wp elements per channel, rows wp long); u: the transformed weights
 * (kpad = k rounded up to 4); y: the output [n, k, outH, outW]. Tiles are numbered image by image,
 * row by row; work units are blocks of blockTiles tiles: [u0, u1) on this thread, or drawn from the
 * counter at `dyn` when it is not 0. Output channels are done kb at a time. Scratch: vBuf (α²·c·
 * blockTiles floats), mBuf (α²·kb·blockTiles), tmp (α² vectors), tab (4 words per tile), tile
 * (the GEMM's edge tile).
 */
export const WINOGRAD_FORWARD_FIELDS = fields([
  'x', 'u', 'y', 'c', 'k', 'kpad', 'wp', 'plane', 'outH', 'outW', 'tilesX', 'tilesPerImage', 'tiles',
  'blockTiles', 'kb', 'dyn', 'u0', 'u1', 'vBuf', 'mBuf', 'tmp', 'tab', 'tile',
] as const);

/**
 * The drivers; a module without SIMD gets traps in their place (the algorithm chooser never picks
 * Winograd there, and every module exports the same driver list).
 */
export function emitWinograd(mod: ModuleBuilder, simd: boolean, fma: boolean, gemm: GemmFunctions): void {
  if (!simd) {
    for (const name of winogradDrivers()) mod.func(name, ['i32'], [], (f) => { f.op('unreachable'); });
    return;
  }
  emitPad(mod);
  for (const v of WINOGRAD_VARIANTS) {
    emitWeights(mod, fma, v);
    emitForward(mod, fma, gemm, v);
  }
}

/** words[i] stored at address + 4·i */
export function storeWords(f: FunctionBuilder, address: Ex, words: Ex[]): void {
  words.forEach((w, i) => { emit(f, address); emit(f, w); f.mem('i32.store', 4 * i); });
}

/** the byte address of tile (ty, tx)'s first element in image n of a [n, channels, plane] array (rows `row` long) */
export function tileOrigin(base: Local, n: Local, channels: Local, plane: Local, ty: Local, tx: Local, m: number, row: Local): Ex {
  return I.at4(base, I.add(I.add(I.mul(I.mul(n, channels), plane), I.mul(I.mul(ty, m), row)), I.mul(tx, m)));
}

/**
 * A block of tiles from t0: cnt = how many (at most blockTiles), groups = ⌈cnt / 4⌉; then for each
 * slot e < 4·groups, body(e, t, n, ty, tx) with the tile's image and tile row and column (tiles
 * are numbered image by image, row by row; slots past the last tile get tile t0's).
 */
export function emitBlockTiles(f: FunctionBuilder, b: { t0: Local; cnt: Local; groups: Local; tiles: Local; blockTiles: Local;
  tilesPerImage: Local; tilesX: Local }, body: (e: Local, t: Local, n: Local, ty: Local, tx: Local) => void): void {
  const e = f.local('i32'), t = f.local('i32'), n = f.local('i32'), ty = f.local('i32'), tx = f.local('i32');
  assign(f, b.cnt, I.sub(b.tiles, b.t0));
  assign(f, b.cnt, I.min(b.cnt, b.blockTiles));
  assign(f, b.groups, I.shr(I.add(b.cnt, 3), 2));
  forRange(f, e, 0, I.shl(b.groups, 2), 1, () => {
    assign(f, t, I.add(b.t0, e));
    assign(f, tx, I.select(I.lt(t, b.tiles), t, b.t0));
    assign(f, n, I.div(tx, b.tilesPerImage));
    assign(f, tx, I.sub(tx, I.mul(n, b.tilesPerImage)));
    assign(f, ty, I.div(tx, b.tilesX));
    assign(f, tx, I.sub(tx, I.mul(ty, b.tilesX)));
    body(e, t, n, ty, tx);
  });
}

function emitPad(mod: ModuleBuilder): void {
  mod.func(WINOGRAD_PAD_DRIVER, ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, WINOGRAD_PAD_FIELDS);
    const x = P('x'), y = P('y'), w = P('w'), hp = P('hp'), wp = P('wp'), padT = P('padT'), padL = P('padL');
    const rows = P('rows'), cols = P('cols'), inPlane = P('inPlane'), pl0 = P('pl0'), pl1 = P('pl1');
    const pl = f.local('i32'), src = f.local('i32'), dst = f.local('i32'), row = f.local('i32');
    const rowBytes = f.local('i32'), rightBytes = f.local('i32');
    assign(f, rowBytes, I.shl(wp, 2));
    assign(f, rightBytes, I.shl(I.sub(I.sub(wp, padL), cols), 2));
    const fill = (to: Local, bytes: Parameters<typeof emit>[1]) => { f.get(to).i32(0); emit(f, bytes); f.memoryFill(); };
    forRange(f, pl, pl0, pl1, 1, () => {
      assign(f, src, I.at4(x, I.mul(pl, inPlane)));
      assign(f, dst, I.at4(y, I.mul(I.mul(pl, hp), wp)));
      fill(dst, I.mul(padT, rowBytes));
      addTo(f, dst, I.mul(padT, rowBytes));
      forRange(f, row, 0, rows, 1, () => {
        fill(dst, I.shl(padL, 2));
        f.get(dst); emit(f, I.shl(padL, 2)); f.op('i32.add').get(src); emit(f, I.shl(cols, 2)); f.memoryCopy();
        f.get(dst); emit(f, I.shl(I.add(padL, cols), 2)); f.op('i32.add').i32(0).get(rightBytes).memoryFill();
        addTo(f, dst, rowBytes);
        addTo(f, src, I.shl(w, 2));
      });
      fill(dst, I.mul(I.sub(I.sub(hp, padT), rows), rowBytes));
    });
  });
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
    assign(f, xiStride, I.shl(I.mul(opad, D), 2));
    forRange(f, op, p0, p1, 1, () => {
      lanes.forEach((lane, l) => assign(f, lane, I.at4(w, I.mul(I.min(I.add(I.shl(op, 2), l), I.sub(O, 1)), so))));
      assign(f, dst, I.add(u, I.shl(I.mul(op, D), 4)));
      forRange(f, d, 0, D, 1, () => {
        const transform = (flipped: boolean) => emitTransform2D(f, fma, {
          M: G, tmp,
          loadElem: (i, j) => {
            const off = (flipped ? (r - 1 - i) * r + (r - 1 - j) : i * r + j) * 4;
            f.get(lanes[0]!).mem('f32.load', off).op('f32x4.splat');
            for (let l = 1; l < 4; l++) f.get(lanes[l]!).mem('f32.load', off).lane('f32x4.replace_lane', l);
          },
          storeElem: (p, q, val) => {
            f.get(dst).i32(p * alpha + q).get(xiStride).op('i32.mul').op('i32.add').get(val).mem('v128.store');
          },
        }, regs);
        when(f, flip, () => transform(true), () => transform(false));
        for (const lane of lanes) addTo(f, lane, I.shl(sd, 2));
        addTo(f, dst, 16);
      });
    });
  });
}

function emitForward(mod: ModuleBuilder, fma: boolean, gemm: GemmFunctions, v: WinogradVariant): void {
  const { BT, AT, alpha, m } = winogradMatrices(v.m, v.r);
  if (alpha > 8) throw new Error(`winograd codegen: α = ${alpha} > 8 (two vectors per tile row)`);
  mod.func(winogradForwardDriver(v), ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, WINOGRAD_FORWARD_FIELDS);
    const x = P('x'), u = P('u'), y = P('y'), C = P('c'), K = P('k'), kpad = P('kpad'), wp = P('wp'), plane = P('plane');
    const outH = P('outH'), outW = P('outW'), tilesX = P('tilesX'), tpi = P('tilesPerImage'), tiles = P('tiles');
    const T = P('blockTiles'), KB = P('kb'), dyn = P('dyn'), u0 = P('u0'), u1 = P('u1');
    const vBuf = P('vBuf'), mBuf = P('mBuf'), tmp = P('tmp'), tab = P('tab'), edge = P('tile');
    const L = () => f.local('i32');
    const unit = L(), t0 = L(), cnt = L(), groups = L(), ncols = L(), g = L();
    const entry = L(), outPlane = L(), c = L(), dst = L(), vStride = L(), mStride = L(), k0 = L(), kb = L();
    const xi = L(), k = L(), mp = L(), full = L(), rowBytes = L(), outRowBytes = L(), planeBytes = L(), outPlaneBytes = L();
    const lanes = [L(), L(), L(), L()], rowPtr = [L(), L(), L(), L()], rows = [L(), L(), L(), L()], cols = [L(), L(), L(), L()];
    const regs = transformRegs(f, alpha);
    const V = () => f.local('v128');
    const gathered = [V(), V(), V(), V()], shuffled = [V(), V(), V(), V()];
    const gather = { ptrs: rowPtr, rows: gathered, tmps: shuffled };

    assign(f, rowBytes, I.shl(wp, 2));
    assign(f, planeBytes, I.shl(plane, 2));
    assign(f, outRowBytes, I.shl(outW, 2));
    assign(f, outPlane, I.mul(outH, outW));
    assign(f, outPlaneBytes, I.shl(outPlane, 2));
    assign(f, vStride, I.shl(I.mul(C, T), 2));
    assign(f, mStride, I.shl(I.mul(KB, T), 2));

    forUnits(f, unit, I.sub(u1, u0), dyn, () => {
      assign(f, t0, I.mul(I.add(u0, unit), T));
      // the block's tiles: input and output addresses, valid output rows and columns
      emitBlockTiles(f, { t0, cnt, groups, tiles, blockTiles: T, tilesPerImage: tpi, tilesX }, (e, t, n, ty, tx) => {
        storeWords(f, I.add(tab, I.shl(e, 4)), [
          tileOrigin(x, n, C, plane, ty, tx, m, wp), tileOrigin(y, n, K, outPlane, ty, tx, m, outW),
          I.select(I.lt(t, tiles), I.min(m, I.sub(outH, I.mul(ty, m))), 0), I.min(m, I.sub(outW, I.mul(tx, m))),
        ]);
      });

      assign(f, ncols, I.and(I.add(cnt, 7), -8));

      // input transform, four tiles (one per lane) and one channel at a time
      forRange(f, g, 0, groups, 1, () => {
        lanes.forEach((lane, l) => assign(f, lane, I.load(I.add(tab, I.shl(I.add(I.shl(g, 2), l), 4)))));
        assign(f, dst, I.add(vBuf, I.shl(I.add(I.mul(I.shr(g, 1), I.shl(C, 3)), I.shl(I.and(g, 1), 2)), 2)));
        forRange(f, c, 0, C, 1, () => {
          emitTransform2D(f, fma, {
            M: BT, tmp,
            loadRow: (i, out) => emitGatherRow(f, lanes, rowBytes, i, alpha, out, gather),
            storeElem: (p, q, val) => {
              f.get(dst).i32(p * alpha + q).get(vStride).op('i32.mul').op('i32.add').get(val).mem('v128.store');
            },
          }, regs);
          for (const lane of lanes) addTo(f, lane, planeBytes);
          addTo(f, dst, 32);
        });
      });

      forRange(f, k0, 0, K, KB, () => {
        assign(f, kb, I.sub(K, k0));
        assign(f, kb, I.min(kb, KB));
        // M[ξ] [kb × tiles] = U[ξ] (rows k0 …) · V[ξ]
        forRange(f, xi, 0, alpha * alpha, 1, () => {
          emit(f, I.at4(u, I.add(I.mul(I.mul(xi, kpad), C), I.mul(k0, C))));
          emit(f, I.add(vBuf, I.mul(xi, vStride)));
          for (const l of [kb, ncols, C]) f.get(l);
          emit(f, I.add(mBuf, I.mul(xi, mStride)));
          emit(f, I.shl(T, 2));
          f.i32(0).get(edge).call(gemm.macro);
        });
        // output transform, four tiles at a time
        forRange(f, g, 0, groups, 1, () => {
          for (let l = 0; l < 4; l++) {
            assign(f, entry, I.add(tab, I.shl(I.add(I.shl(g, 2), l), 4)));
            assign(f, lanes[l]!, I.add(I.load(entry, 4), I.mul(k0, outPlaneBytes)));
            assign(f, rows[l]!, I.load(entry, 8));
            assign(f, cols[l]!, I.load(entry, 12));
          }
          assign(f, mp, I.add(mBuf, I.shl(g, 4)));
          const channels = (fast: boolean) => forRange(f, k, 0, kb, 1, () => {
            emitTransform2D(f, fma, {
              M: AT, tmp,
              loadElem: (i, j) => { f.get(mp).i32(i * alpha + j).get(mStride).op('i32.mul').op('i32.add').mem('v128.load'); },
              storeRow: (p, vals) => {
                const rowAt = (l: number) => {
                  f.get(lanes[l]!);
                  if (p > 0) f.i32(p).get(outRowBytes).op('i32.mul').op('i32.add');
                };
                if (fast) {
                  emitTranspose4(f, vals, gathered, shuffled);
                  for (let l = 0; l < 4; l++) { rowAt(l); f.get(gathered[l]!).mem('v128.store'); }
                  return;
                }
                for (let l = 0; l < 4; l++) {
                  when(f, I.lt(p, rows[l]!), () => {
                    for (let q = 0; q < m; q++) {
                      when(f, I.lt(q, cols[l]!), () => {
                        rowAt(l);
                        f.get(vals[q]!).lane('f32x4.extract_lane', l).mem('f32.store', q * 4);
                      });
                    }
                  });
                }
              },
            }, regs);
            for (const lane of lanes) addTo(f, lane, outPlaneBytes);
            addTo(f, mp, I.shl(T, 2));
          });
          if (m === 4) {
            assign(f, full, 1);
            for (let l = 0; l < 4; l++) assign(f, full, I.and(full, I.and(I.eq(rows[l]!, m), I.eq(cols[l]!, m))));
            when(f, full, () => channels(true), () => channels(false));
          } else {
            channels(false);
          }
        });
      });
    });
  });
}

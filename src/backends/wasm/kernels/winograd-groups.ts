/**
 * The Winograd tile transforms as functions over one group of four tiles (one per v128 lane), the
 * pieces the drivers call per group: separate functions keep V8's register allocation local (and
 * show up by name in a profile).
 *
 *  - transform group (Bᵀ d B of the input, or A dY Aᵀ of the output gradient): every channel of
 *    the four tiles, each tile's α'×α' input gathered from its own rows, α² result vectors written
 *    ξ-strided from dst (dst advancing per channel);
 *  - output group (Aᵀ M A): kb channels of the four tiles from the GEMM's output, transposed in
 *    registers into rows of the output (a slower lane-by-lane path for tiles over the edge).
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { I, addTo, assign, emit, forRange, when, type Ex } from '../emit.js';
import { XiCursor, emitGatherRow, emitTransform2D, emitTranspose4, transformRegs } from './winograd-transform.js';

export interface WinogradVariant {
  /** output tile side */
  m: number;
  /** kernel side */
  r: number;
}

/**
 * Floats of padding after each ξ's slice of a transformed buffer: the α² slices are written
 * together, and slices a multiple of 4 KiB apart would all fall in one L1 set (and 4K-alias), so
 * every stride is a multiple of 4 KiB plus one cache line.
 */
export const XI_PAD = 16;

export const variantSuffix = (v: WinogradVariant) => `m${v.m}r${v.r}`;

/** the per-group functions of one tile size */
export interface GroupFunctions { input: number; outputGradient: number; output: number }

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

/**
 * (entry, entryBytes, entryOffset, count, planeBytes, rowBytes, dst, channelStep, xiStride, tmp):
 * lane l's first row is at word entryOffset of the table entry entry + l·entryBytes; `count`
 * channels, planeBytes apart; M (out × width) applied on both sides of each width × width tile.
 */
export function emitTransformGroup(mod: ModuleBuilder, fma: boolean, name: string, M: readonly (readonly number[])[], width: number): number {
  const out = M.length;
  return mod.func(name, Array(10).fill('i32'), [], (f, entry, entryBytes, entryOffset, count, planeBytes, rowBytes, dst, channelStep, xiStride, tmp) => {
    const lanes = [0, 1, 2, 3].map(() => f.local('i32'));
    const c = f.local('i32');
    const regs = transformRegs(f, Math.max(out, width));
    const V = () => f.local('v128');
    const gather = { ptrs: [0, 1, 2, 3].map(() => f.local('i32')), rows: [V(), V(), V(), V()], tmps: [V(), V(), V(), V()] };
    const cursor = new XiCursor(f, out);
    lanes.forEach((lane, l) => {
      f.get(entry!).get(entryOffset!).op('i32.add');
      if (l > 0) f.i32(l).get(entryBytes!).op('i32.mul').op('i32.add');
      f.mem('i32.load').set(lane);
    });
    forRange(f, c, 0, count!, 1, () => {
      cursor.start(dst!, xiStride!);
      emitTransform2D(f, fma, {
        M, tmp: tmp!,
        loadRow: (i, row) => emitGatherRow(f, lanes, rowBytes!, i, width, row, gather),
        storeElem: (p, q, val) => { f.get(cursor.at(p, q)).get(val).mem('v128.store'); },
      }, regs);
      for (const lane of lanes) addTo(f, lane, planeBytes!);
      addTo(f, dst!, channelStep!);
    });
  });
}

/**
 * (entry, k0Bytes, kb, outPlaneBytes, outRowBytes, mp, mStride, rowLenBytes, tmp): the table entry
 * of lane l at entry + 16·l holds [input, output address, valid rows, valid columns]; channel k's
 * α² inputs are at mp + k·rowLenBytes + ξ·mStride; its m × m outputs go to output + k0Bytes +
 * k·outPlaneBytes, rows outRowBytes apart.
 */
export function emitOutputGroup(mod: ModuleBuilder, fma: boolean, name: string, AT: readonly (readonly number[])[]): number {
  const m = AT.length, alpha = AT[0]!.length;
  return mod.func(name, Array(9).fill('i32'), [], (f, entry, k0Bytes, kb, outPlaneBytes, outRowBytes, mp, mStride, rowLenBytes, tmp) => {
    const L = () => f.local('i32');
    const lanes = [L(), L(), L(), L()], rows = [L(), L(), L(), L()], cols = [L(), L(), L(), L()];
    const k = L(), full = L(), p = L();
    const regs = transformRegs(f, alpha);
    const V = () => f.local('v128');
    const transposed = [V(), V(), V(), V()], shuffled = [V(), V(), V(), V()];
    const cursor = new XiCursor(f, alpha);
    for (let l = 0; l < 4; l++) {
      assign(f, lanes[l]!, I.add(I.load(entry!, 16 * l + 4), k0Bytes!));
      assign(f, rows[l]!, I.load(entry!, 16 * l + 8));
      assign(f, cols[l]!, I.load(entry!, 16 * l + 12));
    }
    const channels = (fast: boolean) => forRange(f, k, 0, kb!, 1, () => {
      cursor.start(mp!, mStride!);
      emitTransform2D(f, fma, {
        M: AT, tmp: tmp!,
        loadElem: (i, j) => { f.get(cursor.at(i, j)).mem('v128.load'); },
        storeRow: (row, vals) => {
          const rowAt = (l: number) => {
            f.get(lanes[l]!);
            if (row > 0) f.get(p).op('i32.add');
          };
          if (row === 1) assign(f, p, outRowBytes!);
          else if (row > 1) addTo(f, p, outRowBytes!);
          if (fast) {
            emitTranspose4(f, vals, transposed, shuffled);
            for (let l = 0; l < 4; l++) { rowAt(l); f.get(transposed[l]!).mem('v128.store'); }
            return;
          }
          for (let l = 0; l < 4; l++) {
            when(f, I.lt(row, rows[l]!), () => {
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
      for (const lane of lanes) addTo(f, lane, outPlaneBytes!);
      addTo(f, mp!, rowLenBytes!);
    });
    if (m === 4) {
      assign(f, full, 1);
      for (let l = 0; l < 4; l++) assign(f, full, I.and(full, I.and(I.eq(rows[l]!, m), I.eq(cols[l]!, m))));
      when(f, full, () => channels(true), () => channels(false));
    } else {
      channels(false);
    }
  });
}

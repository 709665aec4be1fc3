/**
 * The Winograd tile transforms as functions over one group of four tiles (one per v128 lane), the
 * pieces the drivers call per group: separate functions keep V8's register allocation local (and
 * show up by name in a profile).
 *
 *  - transform group (Bᵀ d B of the input, or A dY Aᵀ of the output gradient): every channel of
 *    the four tiles, each tile's window gathered from the tensor itself (winograd-gather.ts: plain
 *    loads inside the image, zeros outside), α² result vectors written ξ-strided from dst;
 *  - output group (Aᵀ M A): kb channels of the four tiles from the GEMM's output, transposed in
 *    registers into rows of the output (a slower lane-by-lane path for tiles over the edge).
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { I, addTo, assign, emit, forRange, when, type Ex } from '../emit.js';
import { XiCursor, emitGatherRow, emitTransform2D, emitTranspose4, transformRegs } from './winograd-transform.js';
import { borderLanes, emitBorderChannel, emitBorderRow, emitBorderSetup } from './winograd-gather.js';

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
 * (entry, entryBytes, count, planeBytes, rowBytes, h, zero, dst, channelStep, xiStride, tmp): lane
 * l's tile descriptor (winograd-gather.ts) is at entry + l·entryBytes; `count` channels planeBytes
 * apart, rows rowBytes, h rows per image, `zero` 8 zero floats; M (out × width) applied on both
 * sides of each width × width window; the α² results of channel c at dst + c·channelStep + ξ·xiStride.
 */
export function emitTransformGroup(mod: ModuleBuilder, fma: boolean, name: string, M: readonly (readonly number[])[], width: number): number {
  const out = M.length;
  return mod.func(name, Array(11).fill('i32'), [], (f, entry, entryBytes, count, planeBytes, rowBytes, h, zero, dst, channelStep, xiStride, tmp) => {
    const L = () => f.local('i32');
    const descs = [L(), L(), L(), L()], lanes = [L(), L(), L(), L()];
    const c = L(), chanOff = L(), interior = L();
    const regs = transformRegs(f, Math.max(out, width));
    const V = () => f.local('v128');
    const ptrs = [L(), L(), L(), L()], rows = [V(), V(), V(), V()], tmps = [V(), V(), V(), V()];
    const border = borderLanes(f, descs);
    const cursor = new XiCursor(f, out);
    assign(f, interior, 1);
    descs.forEach((d, l) => {
      assign(f, d, l === 0 ? entry! : I.add(entry!, I.mul(l, entryBytes!)));
      assign(f, interior, I.and(interior, I.load(d, 16)));
    });
    const channels = (inside: boolean) => {
      assign(f, chanOff, 0);
      if (!inside) emitBorderSetup(f, border, h!, width);
      forRange(f, c, 0, count!, 1, () => {
        if (inside) lanes.forEach((lane, l) => assign(f, lane, I.add(I.add(I.load(descs[l]!), chanOff), I.load(descs[l]!, 20))));
        else emitBorderChannel(f, border, chanOff, rowBytes!);
        cursor.start(dst!, xiStride!);
        emitTransform2D(f, fma, {
          M, tmp: tmp!,
          loadRow: (i, row) => (inside
            ? emitGatherRow(f, lanes, rowBytes!, i, width, row, { ptrs, rows, tmps })
            : emitBorderRow(f, border, rowBytes!, zero!, i, width, row)),
          storeElem: (p, q, val) => { f.get(cursor.at(p, q)).get(val).mem('v128.store'); },
        }, regs);
        addTo(f, chanOff, planeBytes!);
        addTo(f, dst!, channelStep!);
      });
    };
    when(f, interior, () => channels(true), () => channels(false));
  });
}

/**
 * (entry, entryBytes, groups, k0Bytes, kb, outPlaneBytes, outRowBytes, mBase, mStride, rowLenBytes,
 * tmp): tile t's [output address, valid rows, valid columns] are at entry + t·entryBytes; channel k
 * of group g (tiles 4g … 4g + 3) has its α² inputs at mBase + k·rowLenBytes + 16·g + ξ·mStride; its
 * m × m outputs go to output + k0Bytes + k·outPlaneBytes, rows outRowBytes apart. Channels outside,
 * groups inside: a channel's inputs for four consecutive groups share their cache lines.
 */
export function emitOutputGroup(mod: ModuleBuilder, fma: boolean, name: string, AT: readonly (readonly number[])[]): number {
  const m = AT.length, alpha = AT[0]!.length;
  return mod.func(name, Array(11).fill('i32'), [], (f, entry, entryBytes, groups, k0Bytes, kb, outPlaneBytes, outRowBytes, mBase, mStride,
    rowLenBytes, tmp) => {
    const L = () => f.local('i32');
    const lanes = [L(), L(), L(), L()], rows = [L(), L(), L(), L()], cols = [L(), L(), L(), L()];
    const k = L(), g = L(), full = L(), p = L(), mp = L(), chanBytes = L();
    const regs = transformRegs(f, alpha);
    const V = () => f.local('v128');
    const transposed = [V(), V(), V(), V()], shuffled = [V(), V(), V(), V()];
    const cursor = new XiCursor(f, alpha);
    const transform = (fast: boolean) => {
      cursor.start(mp, mStride!);
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
    };
    assign(f, chanBytes, k0Bytes!);
    forRange(f, k, 0, kb!, 1, () => {
      forRange(f, g, 0, groups!, 1, () => {
        assign(f, full, 1);
        for (let l = 0; l < 4; l++) {
          assign(f, p, I.add(entry!, I.mul(I.add(I.shl(g, 2), l), entryBytes!)));
          assign(f, lanes[l]!, I.add(I.load(p), chanBytes));
          assign(f, rows[l]!, I.load(p, 4));
          assign(f, cols[l]!, I.load(p, 8));
          assign(f, full, I.and(full, I.and(I.eq(rows[l]!, m), I.eq(cols[l]!, m))));
        }
        assign(f, mp, I.add(I.add(mBase!, I.mul(k, rowLenBytes!)), I.shl(g, 4)));
        if (m === 4) when(f, full, () => transform(true), () => transform(false));
        else transform(false);
      });
      addTo(f, chanBytes, outPlaneBytes!);
    });
  });
}

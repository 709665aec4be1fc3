/**
 * Gathering Winograd input tiles straight from an NCHW tensor, without a zero-padded copy: a tile
 * whose window lies inside the image reads its rows with plain loads; a tile over the border reads
 * each row's halves (four columns each) from clamped addresses inside the row and zeroes the
 * columns outside the image with i8x16.swizzle (an index ≥ 16 gives 0), and a row outside the
 * image from a buffer of zeros. No load ever leaves the tensor.
 *
 * A tile descriptor (DESCRIPTOR_BYTES, 16-byte aligned), written once per tile and block:
 *   [0] the image's first element (byte address)   [4] iyTop: the window's first row (may be < 0)
 *   [8] colLo, [12] colHi: byte offsets in a row of the two halves' clamped loads
 *   [16] 1 when the whole window is inside the image   [20] byte offset of the window's first element
 *   [32] the low half's swizzle indices   [48] the high half's
 */
import type { FunctionBuilder, Local } from '../assembler.js';
import { I, addTo, assign, emit, type Ex } from '../emit.js';
import { emitTranspose4 } from './winograd-transform.js';

export const DESCRIPTOR_BYTES = 64;

export interface TileWindow {
  /** the tensor's first element, its channels and plane size (elements) */
  base: Local; channels: Local; plane: Local;
  /** image height and width */
  h: Local; w: Local;
  /** the window's top-left corner (may be outside the image) and width (≤ 8) */
  iy: Ex; ix: Ex;
  width: number;
}

/** writes the descriptor of the window of image n at `desc`; requires w ≥ 4 */
export function emitTileDescriptor(f: FunctionBuilder, desc: Local, n: Local, win: TileWindow): void {
  const L = () => f.local('i32');
  const iy = L(), ix = L(), lo = L(), hi = L(), col = L(), word = L();
  assign(f, iy, win.iy);
  assign(f, ix, win.ix);
  const clampCol = (at: Ex) => I.max(0, I.min(at, I.sub(win.w, 4)));
  assign(f, lo, clampCol(ix));
  assign(f, hi, clampCol(I.add(ix, 4)));
  const store = (offset: number, value: Ex) => { f.get(desc); emit(f, value); f.mem('i32.store', offset); };
  store(0, I.at4(win.base, I.mul(I.mul(n, win.channels), win.plane)));
  store(4, iy);
  store(8, I.shl(lo, 2));
  store(12, I.shl(hi, 2));
  store(16, I.and(I.and(I.ge(iy, 0), I.le(I.add(iy, win.width), win.h)), I.and(I.ge(ix, 0), I.le(I.add(ix, win.width), win.w))));
  store(20, I.shl(I.add(I.mul(iy, win.w), ix), 2));
  // column ix + j of each half: bytes 4·(ix + j − clamp) … + 3, or 0x80 (zero) outside the image
  for (let half = 0; half < 2; half++) {
    for (let j = 0; j < 4; j++) {
      assign(f, col, I.add(ix, half * 4 + j));
      assign(f, word, I.add(I.mul(I.shl(I.sub(col, half ? hi : lo), 2), 0x01010101), 0x03020100));
      store(32 + 16 * half + 4 * j, I.select(I.ltU(col, win.w), word, 0x80808080 | 0));
    }
  }
}

/** per-lane values the border gather keeps for a group (locals) */
export interface BorderLanes {
  /** the descriptors' addresses (their swizzle indices are read from there) */
  descs: readonly Local[];
  /** the row pointer (advanced by a row per row gathered), the halves' byte offsets in a row, bit i: row i inside the image */
  ptrs: readonly Local[]; colLo: readonly Local[]; colHi: readonly Local[]; valid: readonly Local[];
  /** four loaded rows (low and high halves), transpose temporaries */
  rows: readonly Local[]; highs: readonly Local[]; tmps: readonly Local[];
}

export function borderLanes(f: FunctionBuilder, descs: readonly Local[]): BorderLanes {
  const L = () => [0, 1, 2, 3].map(() => f.local('i32'));
  const V = () => [0, 1, 2, 3].map(() => f.local('v128'));
  return { descs, ptrs: L(), colLo: L(), colHi: L(), valid: L(), rows: V(), highs: V(), tmps: V() };
}

/** per group: the lanes' column offsets and which of the window's rows lie inside the image (h rows) */
export function emitBorderSetup(f: FunctionBuilder, b: BorderLanes, h: Local, width: number): void {
  for (let l = 0; l < 4; l++) {
    const d = b.descs[l]!, iy = b.ptrs[l]!;
    assign(f, b.colLo[l]!, I.load(d, 8));
    assign(f, b.colHi[l]!, I.load(d, 12));
    assign(f, iy, I.load(d, 4));
    // rows [max(0, −iy), min(width, h − iy)) as bits
    const lo = I.max(0, I.sub(0, iy)), hi = I.max(0, I.min(width, I.sub(h, iy)));
    assign(f, b.valid[l]!, I.and(I.sub(I.shl(1, hi), 1), I.sub(0, I.shl(1, lo))));
  }
}

/** per channel: each lane's row pointer at the window's first row (chanOff bytes into its image) */
export function emitBorderChannel(f: FunctionBuilder, b: BorderLanes, chanOff: Local, rowBytes: Local): void {
  for (let l = 0; l < 4; l++) {
    const d = b.descs[l]!;
    assign(f, b.ptrs[l]!, I.add(I.add(I.load(d), chanOff), I.mul(I.load(d, 4), rowBytes)));
  }
}

/**
 * Row i of the four lanes' windows, border-safe: out[j] = column j of the four rows (zeros outside
 * the image); advances the row pointers.
 */
export function emitBorderRow(f: FunctionBuilder, b: BorderLanes, rowBytes: Local, zero: Local, i: number, width: number,
  out: readonly Local[]): void {
  const halves = width > 4 ? 2 : 1;
  for (let l = 0; l < 4; l++) {
    for (let half = 0; half < halves; half++) {
      // the clamped half inside the row, or the zeros for a row outside the image
      f.get(b.ptrs[l]!).get((half ? b.colHi : b.colLo)[l]!).op('i32.add').get(zero);
      f.get(b.valid[l]!).i32(1 << i).op('i32.and').op('select');
      f.mem('v128.load');
      f.get(b.descs[l]!).mem('v128.load', 32 + 16 * half);
      f.op('i8x16.swizzle').set((half ? b.highs : b.rows)[l]!);
    }
    addTo(f, b.ptrs[l]!, rowBytes);
  }
  emitTranspose4(f, b.rows, out.slice(0, 4), b.tmps, Math.min(4, width));
  if (width > 4) emitTranspose4(f, b.highs, out.slice(4), b.tmps, width - 4);
}

/**
 * Code generation of the Winograd tile transforms: Y = M X Mᵀ for a constant matrix M, every entry
 * of X and Y a v128 (four independent lanes: four tiles, or four channels). The products by M are
 * emitted as straight-line code with the coefficients as constants (±1 become adds and subtracts,
 * zeros vanish), and rows of M that differ only in signs (the points p and −p) share their even and
 * odd halves: r₁ = E + O, r₂ = E − O.
 *
 * A 2-D transform runs in two passes through a small scratch (tmp, in L1), so that only one row or
 * column of vectors is live at a time: V8 has 15 vector registers on x64, an 8 × 8 tile has 64.
 */
import type { FunctionBuilder, Local } from '../assembler.js';

/** the v128 locals one transform works in (allocated once per function) */
export interface TransformRegs {
  ins: Local[];
  outs: Local[];
  even: Local;
  odd: Local;
  /** sums and differences of paired columns */
  pairs: Local[];
}

export function transformRegs(f: FunctionBuilder, size: number): TransformRegs {
  const v = () => f.local('v128');
  return {
    ins: Array.from({ length: size }, v), outs: Array.from({ length: size }, v), even: v(), odd: v(),
    pairs: Array.from({ length: size }, v),
  };
}

type Term = [Local, number];

/** −x as 0 − x (V8 builds a sign mask for f32x4.neg: three instructions on x64) */
function emitNegate(f: FunctionBuilder, x: Local): void {
  f.f32x4Const(0).get(x).op('f32x4.sub');
}

/**
 * dst = Σ c·x over the terms (fma: relaxed multiply-add for the non-unit coefficients). Starts
 * from a +1 term, else from a multiplied one, so that −1 terms become subtractions.
 */
function emitCombination(f: FunctionBuilder, fma: boolean, terms: Term[], dst: Local): void {
  if (terms.length === 0) { f.f32x4Const(0).set(dst); return; }
  let first = terms.findIndex(([, c]) => c === 1);
  if (first < 0) first = terms.findIndex(([, c]) => c !== -1);
  if (first < 0) first = 0;
  const [x0, c0] = terms[first]!;
  if (c0 === -1) emitNegate(f, x0);
  else if (c0 === 1) f.get(x0);
  else f.get(x0).f32x4Const(c0).op('f32x4.mul');
  f.set(dst);
  terms.forEach(([x, c], i) => {
    if (i === first) return;
    if (c === 1) f.get(dst).get(x).op('f32x4.add');
    else if (c === -1) f.get(dst).get(x).op('f32x4.sub');
    else if (fma) f.get(x).f32x4Const(c).get(dst).op('f32x4.relaxed_madd');
    else f.get(dst).get(x).f32x4Const(c).op('f32x4.mul').op('f32x4.add');
    f.set(dst);
  });
}

/** acc ± s·x into dst (sign: +1 or −1) */
function emitScaledAdd(f: FunctionBuilder, fma: boolean, acc: Local, x: Local, s: number, dst: Local): void {
  if (s === 1) f.get(acc).get(x).op('f32x4.add');
  else if (s === -1) f.get(acc).get(x).op('f32x4.sub');
  else if (fma) f.get(x).f32x4Const(s).get(acc).op('f32x4.relaxed_madd');
  else f.get(acc).get(x).f32x4Const(s).op('f32x4.mul').op('f32x4.add');
  f.set(dst);
}

function termsOf(row: readonly number[], src: readonly Local[]): Term[] {
  const out: Term[] = [];
  row.forEach((c, j) => { if (c !== 0) out.push([src[j]!, c]); });
  return out;
}

/**
 * Columns j₁ < j₂ whose coefficients have equal magnitudes in every row (the points p and −p of
 * an output transform): every row then needs only x₁ + x₂ or x₁ − x₂.
 */
function columnPairs(M: readonly (readonly number[])[]): Array<[number, number]> {
  const n = M[0]!.length, used = new Set<number>(), pairs: Array<[number, number]> = [];
  for (let j1 = 0; j1 < n; j1++) {
    for (let j2 = j1 + 1; j2 < n && !used.has(j1); j2++) {
      if (used.has(j2)) continue;
      const nonzero = M.filter((row) => row[j1] !== 0).length;
      if (nonzero >= 2 && M.every((row) => Math.abs(row[j1]!) === Math.abs(row[j2]!))) {
        pairs.push([j1, j2]);
        used.add(j1); used.add(j2);
      }
    }
  }
  return pairs;
}

/**
 * dst[q] = Σ_j M[q][j]·src[j] for every row q of M; src and dst must not share locals. Column
 * pairs (output transforms) first become sums and differences in regs.pairs; then rows that differ
 * only in signs (input transforms) share their even and odd halves.
 */
export function emitApply(f: FunctionBuilder, fma: boolean, M: readonly (readonly number[])[], src: readonly Local[],
  dst: readonly Local[], regs: TransformRegs): void {
  const pairs = columnPairs(M);
  if (pairs.length > 0 && regs.pairs.length >= 2 * pairs.length) {
    const rows = M.map(() => [] as Term[]);
    const paired = new Set(pairs.flat());
    pairs.forEach(([j1, j2], k) => {
      const sum = regs.pairs[2 * k]!, diff = regs.pairs[2 * k + 1]!;
      const needSum = M.some((row) => row[j1] !== 0 && row[j1] === row[j2]);
      const needDiff = M.some((row) => row[j1] !== 0 && row[j1] === -row[j2]!);
      if (needSum) f.get(src[j1]!).get(src[j2]!).op('f32x4.add').set(sum);
      if (needDiff) f.get(src[j1]!).get(src[j2]!).op('f32x4.sub').set(diff);
      M.forEach((row, q) => { if (row[j1] !== 0) rows[q]!.push([row[j1] === row[j2] ? sum : diff, row[j1]!]); });
    });
    M.forEach((row, q) => row.forEach((c, j) => { if (c !== 0 && !paired.has(j)) rows[q]!.push([src[j]!, c]); }));
    rows.forEach((terms, q) => emitCombination(f, fma, terms, dst[q]!));
    return;
  }
  const done = new Set<number>();
  for (let q = 0; q < M.length; q++) {
    if (done.has(q)) continue;
    done.add(q);
    const row = M[q]!;
    let partner = -1;
    for (let q2 = q + 1; q2 < M.length && partner < 0; q2++) {
      const other = M[q2]!;
      if (!done.has(q2) && row.some((c) => c !== 0) && row.every((c, j) => Math.abs(c) === Math.abs(other[j]!))
        && row.some((c, j) => c !== other[j])) partner = q2;
    }
    if (partner < 0) { emitCombination(f, fma, termsOf(row, src), dst[q]!); continue; }
    done.add(partner);
    const other = M[partner]!;
    const same: Term[] = [], opposite: Term[] = [];
    row.forEach((c, j) => { if (c !== 0) (other[j] === c ? same : opposite).push([src[j]!, c]); });
    if (same.length === 0) {
      emitCombination(f, fma, opposite, dst[q]!);
      emitNegate(f, dst[q]!);
      f.set(dst[partner]!);
      continue;
    }
    emitCombination(f, fma, same, regs.even);
    // odd half with one magnitude s: r₁ = E + s·O', r₂ = E − s·O' (O' of unit coefficients)
    const s = Math.abs(opposite[0]![1]);
    const common = s !== 1 && opposite.every(([, c]) => Math.abs(c) === s);
    emitCombination(f, fma, common ? opposite.map(([x, c]) => [x, c / s] as Term) : opposite, regs.odd);
    emitScaledAdd(f, fma, regs.even, regs.odd, common ? s : 1, dst[q]!);
    emitScaledAdd(f, fma, regs.even, regs.odd, common ? -s : -1, dst[partner]!);
  }
}

export interface Transform2D {
  /** outN × inN */
  M: readonly (readonly number[])[];
  /** fills dst[0 … inN) with row i of X (rows-first order) */
  loadRow?: (i: number, dst: readonly Local[]) => void;
  /** pushes X[i][j] (columns-first order) */
  loadElem?: (i: number, j: number) => void;
  /** consumes Y[p][q] (rows-first order: column q, then p) */
  storeElem?: (p: number, q: number, v: Local) => void;
  /** consumes row p of Y (columns-first order) */
  storeRow?: (p: number, row: readonly Local[]) => void;
  /** i32 local: address of a scratch of inN·outN vectors */
  tmp: Local;
}

/**
 * Y = M X Mᵀ. With loadRow (and storeElem) the first pass runs over X's rows; with storeRow (and
 * loadElem) the second pass produces Y's rows. The scratch holds the half-transformed matrix.
 */
export function emitTransform2D(f: FunctionBuilder, fma: boolean, t: Transform2D, regs: TransformRegs): void {
  const { M, tmp } = t;
  const outN = M.length, inN = M[0]!.length;
  if (regs.ins.length < Math.max(inN, outN)) throw new Error(`winograd transform: ${regs.ins.length} registers for a ${outN}×${inN} matrix`);
  const ins = regs.ins.slice(0, inN), outs = regs.outs.slice(0, outN);
  if (t.loadRow) {
    if (!t.storeElem) throw new Error('winograd transform: rows-first needs storeElem');
    for (let i = 0; i < inN; i++) {
      t.loadRow(i, ins);
      emitApply(f, fma, M, ins, outs, regs);
      for (let q = 0; q < outN; q++) f.get(tmp).get(outs[q]!).mem('v128.store', (i * outN + q) * 16);
    }
    for (let q = 0; q < outN; q++) {
      for (let i = 0; i < inN; i++) f.get(tmp).mem('v128.load', (i * outN + q) * 16).set(ins[i]!);
      emitApply(f, fma, M, ins, outs, regs);
      for (let p = 0; p < outN; p++) t.storeElem(p, q, outs[p]!);
    }
    return;
  }
  if (!t.loadElem) throw new Error('winograd transform: needs loadRow or loadElem');
  for (let j = 0; j < inN; j++) {
    for (let i = 0; i < inN; i++) { t.loadElem(i, j); f.set(ins[i]!); }
    emitApply(f, fma, M, ins, outs, regs);
    for (let p = 0; p < outN; p++) f.get(tmp).get(outs[p]!).mem('v128.store', (p * inN + j) * 16);
  }
  for (let p = 0; p < outN; p++) {
    for (let j = 0; j < inN; j++) f.get(tmp).mem('v128.load', (p * inN + j) * 16).set(ins[j]!);
    emitApply(f, fma, M, ins, outs, regs);
    if (t.storeRow) t.storeRow(p, outs);
    else if (t.storeElem) for (let q = 0; q < outN; q++) t.storeElem(p, q, outs[q]!);
    else throw new Error('winograd transform: needs storeRow or storeElem');
  }
}

/**
 * The 4 × 4 transpose of four vectors (rows) in place into `cols` (col j holds lane j of every
 * row); `need` limits which columns are produced. Uses two temporaries from `tmps`.
 */
export function emitTranspose4(f: FunctionBuilder, rows: readonly Local[], cols: readonly Local[], tmps: readonly Local[], need = 4): void {
  const [r0, r1, r2, r3] = rows as [Local, Local, Local, Local];
  const [lo01, lo23, hi01, hi23] = tmps as [Local, Local, Local, Local];
  // lo01 = a0 b0 a1 b1, lo23 = c0 d0 c1 d1; hi: lanes 2 and 3
  f.get(r0).get(r1).f32x4Shuffle([0, 4, 1, 5]).set(lo01);
  f.get(r2).get(r3).f32x4Shuffle([0, 4, 1, 5]).set(lo23);
  if (need > 2) {
    f.get(r0).get(r1).f32x4Shuffle([2, 6, 3, 7]).set(hi01);
    f.get(r2).get(r3).f32x4Shuffle([2, 6, 3, 7]).set(hi23);
  }
  f.get(lo01).get(lo23).f32x4Shuffle([0, 1, 4, 5]).set(cols[0]!);
  if (need > 1) f.get(lo01).get(lo23).f32x4Shuffle([2, 3, 6, 7]).set(cols[1]!);
  if (need > 2) f.get(hi01).get(hi23).f32x4Shuffle([0, 1, 4, 5]).set(cols[2]!);
  if (need > 3) f.get(hi01).get(hi23).f32x4Shuffle([2, 3, 6, 7]).set(cols[3]!);
}

/**
 * Row i of four tiles, one per lane: lane l's row starts at lanes[l] + i·rowBytes; out[j] gets
 * column j of the four rows (width ≤ 8: one or two loads per lane and a transpose each). A half of
 * two columns is read with an 8-byte load: no load reaches past the row's `width` columns (the row
 * may end a buffer).
 */
export function emitGatherRow(f: FunctionBuilder, lanes: readonly Local[], rowBytes: Local, i: number, width: number,
  out: readonly Local[], scratch: { ptrs: readonly Local[]; rows: readonly Local[]; tmps: readonly Local[] }): void {
  if (width > 8) throw new Error(`winograd gather: rows of ${width} > 8`);
  scratch.ptrs.forEach((ptr, l) => {
    f.get(lanes[l]!);
    if (i > 0) f.i32(i).get(rowBytes).op('i32.mul').op('i32.add');
    f.set(ptr);
  });
  scratch.ptrs.forEach((ptr, l) => f.get(ptr).mem(width <= 2 ? 'v128.load64_zero' : 'v128.load').set(scratch.rows[l]!));
  emitTranspose4(f, scratch.rows, out.slice(0, 4), scratch.tmps, Math.min(4, width));
  if (width > 4) {
    scratch.ptrs.forEach((ptr, l) => f.get(ptr).mem(width <= 6 ? 'v128.load64_zero' : 'v128.load', 16).set(scratch.rows[l]!));
    emitTranspose4(f, scratch.rows, out.slice(4), scratch.tmps, width - 4);
  }
}

/**
 * Addresses base + ξ·stride for ξ = p·α + q visited in the order the straight-line transform code
 * visits them: the first one is computed, each next one is the previous plus a multiple of stride
 * (1 or α steps: one add; other steps: a multiply). Call start() before each emitted transform.
 */
export class XiCursor {
  private readonly ptr: Local;
  private readonly alphaStride: Local;
  private last = -1;
  private base: Local | null = null;
  private stride: Local | null = null;

  constructor(private readonly f: FunctionBuilder, private readonly alpha: number) {
    this.ptr = f.local('i32');
    this.alphaStride = f.local('i32');
  }

  start(base: Local, stride: Local): void {
    this.base = base;
    this.stride = stride;
    this.last = -1;
    this.f.get(stride).i32(this.alpha).op('i32.mul').set(this.alphaStride);
  }

  /** the address of element (p, q), in a local */
  at(p: number, q: number): Local {
    const { f, ptr } = this;
    const xi = p * this.alpha + q;
    const step = xi - this.last;
    if (this.last < 0) f.get(this.base!).i32(xi).get(this.stride!).op('i32.mul').op('i32.add').set(ptr);
    else if (step === 1) f.get(ptr).get(this.stride!).op('i32.add').set(ptr);
    else if (step === this.alpha) f.get(ptr).get(this.alphaStride).op('i32.add').set(ptr);
    else f.get(ptr).i32(step).get(this.stride!).op('i32.mul').op('i32.add').set(ptr);
    this.last = xi;
    return ptr;
  }
}

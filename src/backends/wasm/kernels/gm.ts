/**
 * The O(N·K·D) loops of the Gaussian-mixture loss (../../cpu/gm.ts has the maths): the scaled
 * squared distances of every sample to every class mean, and the gradients given the weight
 * coef[i, c] = ∂L/∂d_ic of each distance; plus invVar = e^{−logVar}. The per-row scalar work
 * between them (log-sum-exp, softmax weights) is TypeScript (../gm-loss.ts).
 *
 * Distances are summed directly, Σ_j (x_ij − μ_cj)²·invVar_cj, never as ‖x‖² − 2x·μ + ‖μ‖² (which
 * cancels when x ≈ μ); the gradients use the same differences. Rows go four at a time so each mean
 * (and invVar) vector loaded serves four samples.
 *
 * The gradient driver does two things per thread: dx for its rows (a chunk of x_i and its sums in
 * registers while the classes go by) and dMeans/dLogVar for its classes (a chunk of μ_c and its
 * sums in registers while the rows go by, in row order). Splitting dMeans by class rather than by
 * row needs no per-thread partial sums to add up afterwards.
 *
 * Every sum runs in one fixed order that depends neither on the block or chunk an element falls
 * in nor on the thread that computes it, so results are the same bits for any thread count.
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { I, addTo, assign, emit, forRange, fieldReader } from '../emit.js';
import { GM_DISTANCE_FIELDS, GM_GRAD_FIELDS, UNARY_FIELDS } from '../layout.js';
import { emitExp } from './exp.js';
import { Vec } from './vec.js';

export type GmCovariance = 'identity' | 'diagonal';
export const GM_COVARIANCES: readonly GmCovariance[] = ['identity', 'diagonal'];
export const gmDistancesDriverName = (cov: GmCovariance) => `gmDistances_${cov}`;
export const gmGradDriverName = (cov: GmCovariance) => `gmGrad_${cov}`;
/** y = e^{−x} over [lo, hi) (UNARY_FIELDS): invVar from logVar */
export const GM_INV_VAR_DRIVER = 'gmInvVar';

/** rows sharing each load of a mean vector; the rows left over go one at a time */
const ROW_BLOCK = 4;
/** vectors of a row the gradient loops keep in registers (x and its sums, or μ and its sum) */
const GRAD_CHUNK = 4;
/** diagonal dMeans/dLogVar keep three values per vector (μ and the sums A, W): fewer vectors fit */
const DIAGONAL_MEANS_CHUNK = 3;
/** the ops of the remainder columns after the last full vector */
const SCALAR = new Vec(false, false);

/** locals holding byte sizes of a row of d floats, of its whole vectors, and of a row of k floats */
function rowSizes(f: FunctionBuilder, vec: Vec, d: Local, k: Local) {
  const dBytes = f.local('i32'), dVecBytes = f.local('i32'), kBytes = f.local('i32');
  assign(f, dBytes, I.shl(d, 2));
  assign(f, dVecBytes, I.shl(I.and(d, -vec.lanes), 2));
  assign(f, kBytes, I.shl(k, 2));
  return { dBytes, dVecBytes, kBytes };
}

/**
 * body(v, width) over the columns of a row, jb the byte offset of the chunk: chunks of `wide`
 * vectors while they fit, then single vectors, then (SIMD only) single floats with v = SCALAR.
 * body allocates its own locals of v.type.
 */
function forColumnChunks(f: FunctionBuilder, vec: Vec, jb: Local, dBytes: Local, wide: number,
  body: (v: Vec, width: number) => void): void {
  const end = f.local('i32');
  assign(f, jb, 0);
  for (const width of wide > 1 ? [wide, 1] : [1]) {
    assign(f, end, I.sub(dBytes, width * vec.bytes - 1));
    forRange(f, jb, jb, end, width * vec.bytes, () => body(vec, width));
  }
  if (vec.simd) forRange(f, jb, jb, dBytes, 4, () => body(SCALAR, 1));
}

/** runs block(R) for rows i = from… in blocks of ROW_BLOCK, then one at a time up to `to` */
function forRowBlocks(f: FunctionBuilder, i: Local, from: Local | number, to: Local, block: (rows: number) => void): void {
  const end = f.local('i32');
  assign(f, i, from);
  for (const rows of [ROW_BLOCK, 1]) {
    assign(f, end, I.sub(to, rows - 1));
    forRange(f, i, i, end, rows, () => block(rows));
  }
}

/** the byte address base + offset */
const at = (base: Local, offset: Local) => I.add(base, offset);

export function emitGm(mod: ModuleBuilder, vec: Vec): void {
  mod.func(GM_INV_VAR_DRIVER, ['i32'], [], (f, params) => emitInvVar(f, vec, params!));
  for (const cov of GM_COVARIANCES) {
    mod.func(gmDistancesDriverName(cov), ['i32'], [], (f, params) => emitDistances(f, vec, params!, cov === 'diagonal'));
    mod.func(gmGradDriverName(cov), ['i32'], [], (f, params) => emitGrad(f, vec, params!, cov === 'diagonal'));
  }
}

function emitInvVar(f: FunctionBuilder, vec: Vec, params: Local): void {
  const P = fieldReader(f, params, UNARY_FIELDS);
  const lo = P('lo'), hi = P('hi'), xp = f.local('i32'), yp = f.local('i32'), i = f.local('i32'), end = f.local('i32');
  assign(f, xp, I.at4(P('x'), lo));
  assign(f, yp, I.at4(P('y'), lo));
  assign(f, i, lo);
  const widths: Array<[Vec, number]> = vec.simd ? [[vec, vec.lanes], [SCALAR, 1]] : [[vec, 1]];
  for (const [v, lanes] of widths) {
    const t = f.local(v.type);
    assign(f, end, I.sub(hi, lanes - 1));
    forRange(f, i, i, end, lanes, () => {
      f.get(yp).get(xp); v.load(f); f.op(v.simd ? 'f32x4.neg' : 'f32.neg'); f.set(t);
      emitExp(f, v, t);
      v.store(f);
      addTo(f, xp, v.bytes);
      addTo(f, yp, v.bytes);
    });
  }
}

function emitDistances(f: FunctionBuilder, vec: Vec, params: Local, diagonal: boolean): void {
  const P = fieldReader(f, params, GM_DISTANCE_FIELDS);
  const x = P('x'), means = P('means'), invVar = P('invVar'), dist = P('dist'), k = P('k'), d = P('d');
  const r0 = P('r0'), r1 = P('r1');
  const { dBytes, dVecBytes, kBytes } = rowSizes(f, vec, d, k);
  const i = f.local('i32'), c = f.local('i32'), jb = f.local('i32');
  const mp = f.local('i32'), ip = f.local('i32'), out = f.local('i32');
  const xp = Array.from({ length: ROW_BLOCK }, () => f.local('i32'));
  const acc = Array.from({ length: ROW_BLOCK }, () => f.local(vec.type));
  const sum = Array.from({ length: ROW_BLOCK }, () => f.local('f32'));

  /** acc[r] += (x_r − m)²·inv over the columns v covers */
  const accumulate = (v: Vec, rows: number, into: Local[]) => {
    const m = f.local(v.type), inv = f.local(v.type), diff = f.local(v.type), u = f.local(v.type);
    emit(f, at(mp, jb)); v.load(f); f.set(m);
    if (diagonal) { emit(f, at(ip, jb)); v.load(f); f.set(inv); }
    for (let r = 0; r < rows; r++) {
      emit(f, at(xp[r]!, jb)); v.load(f); f.get(m); v.sub(f); f.set(diff);
      if (diagonal) { f.get(diff).get(inv); v.mul(f); f.set(u); }
      v.accumulate(f, into[r]!, diff, diagonal ? u : diff);
    }
  };

  forRowBlocks(f, i, r0, r1, (rows) => {
    for (let r = 0; r < rows; r++) assign(f, xp[r]!, I.add(x, I.mul(I.add(i, r), dBytes)));
    assign(f, out, I.add(dist, I.mul(i, kBytes)));
    assign(f, mp, means);
    assign(f, ip, invVar);
    forRange(f, c, 0, k, 1, () => {
      for (let r = 0; r < rows; r++) { vec.zero(f); f.set(acc[r]!); }
      forRange(f, jb, 0, dVecBytes, vec.bytes, () => accumulate(vec, rows, acc));
      for (let r = 0; r < rows; r++) { vec.sumLanes(f, acc[r]!); f.set(sum[r]!); }
      if (vec.simd) forRange(f, jb, jb, dBytes, 4, () => accumulate(SCALAR, rows, sum));
      for (let r = 0; r < rows; r++) {
        emit(f, I.add(out, I.mul(kBytes, r)));
        f.get(sum[r]!).f32(0.5).op('f32.mul').mem('f32.store');
      }
      addTo(f, out, 4);
      addTo(f, mp, dBytes);
      if (diagonal) addTo(f, ip, dBytes);
    });
  });
}

function emitGrad(f: FunctionBuilder, vec: Vec, params: Local, diagonal: boolean): void {
  const P = fieldReader(f, params, GM_GRAD_FIELDS);
  const x = P('x'), means = P('means'), invVar = P('invVar'), coef = P('coef'), lvBias = P('lvBias');
  const dx = P('dx'), dMeans = P('dMeans'), dLogVar = P('dLogVar'), n = P('n'), k = P('k'), d = P('d');
  const r0 = P('r0'), r1 = P('r1'), k0 = P('k0'), k1 = P('k1');
  const { dBytes, kBytes } = rowSizes(f, vec, d, k);
  const i = f.local('i32'), c = f.local('i32'), jb = f.local('i32');
  const mp = f.local('i32'), ip = f.local('i32'), cp = f.local('i32'), xr = f.local('i32'), out = f.local('i32');

  // ---- dx[i] = Σ_c coef[i, c]·(x_i − μ_c)·invVar_c for this thread's rows. A chunk of x_i and its
  // sums stay in registers while the classes go by; the chunk's column of means stays in cache
  // across the rows.
  forColumnChunks(f, vec, jb, dBytes, GRAD_CHUNK, (v, width) => {
    const xs = Array.from({ length: width }, () => f.local(v.type));
    const acc = Array.from({ length: width }, () => f.local(v.type));
    const s = f.local(v.type), diff = f.local(v.type);
    forRange(f, i, r0, r1, 1, () => {
      assign(f, xr, I.add(I.add(x, I.mul(i, dBytes)), jb));
      for (let w = 0; w < width; w++) { f.get(xr); v.load(f, w * v.bytes); f.set(xs[w]!); v.zero(f); f.set(acc[w]!); }
      assign(f, mp, I.add(means, jb));
      assign(f, ip, I.add(invVar, jb));
      assign(f, cp, I.add(coef, I.mul(i, kBytes)));
      forRange(f, c, 0, k, 1, () => {
        f.get(cp); v.loadSplat(f); f.set(s);
        for (let w = 0; w < width; w++) {
          f.get(xs[w]!).get(mp); v.load(f, w * v.bytes); v.sub(f);
          if (diagonal) { f.get(ip); v.load(f, w * v.bytes); v.mul(f); }
          f.set(diff);
          v.accumulate(f, acc[w]!, s, diff);
        }
        addTo(f, cp, 4);
        addTo(f, mp, dBytes);
        if (diagonal) addTo(f, ip, dBytes);
      });
      assign(f, out, I.add(I.add(dx, I.mul(i, dBytes)), jb));
      for (let w = 0; w < width; w++) { f.get(out).get(acc[w]!); v.store(f, w * v.bytes); }
    });
  });

  // ---- for this thread's classes: A = Σ_i coef·(x_i − μ) and W = Σ_i coef·(x_i − μ)² summed in
  // row order, then dMeans = −A·invVar and dLogVar = lvBias − ½·W·invVar (invVar_c does not vary
  // with i, so it multiplies the sums once). A chunk of μ_c and the sums stay in registers while
  // the rows go by.
  forRange(f, c, k0, k1, 1, () => {
    forColumnChunks(f, vec, jb, dBytes, diagonal ? DIAGONAL_MEANS_CHUNK : GRAD_CHUNK, (v, width) => {
      const ms = Array.from({ length: width }, () => f.local(v.type));
      const as = Array.from({ length: width }, () => f.local(v.type));
      const ws = Array.from({ length: width }, () => f.local(v.type));
      const s = f.local(v.type), diff = f.local(v.type), t = f.local(v.type);
      assign(f, mp, I.add(I.add(means, I.mul(c, dBytes)), jb));
      assign(f, ip, I.add(I.add(invVar, I.mul(c, dBytes)), jb));
      for (let w = 0; w < width; w++) {
        f.get(mp); v.load(f, w * v.bytes); f.set(ms[w]!);
        v.zero(f); f.set(as[w]!);
        if (diagonal) { v.zero(f); f.set(ws[w]!); }
      }
      assign(f, xr, I.add(x, jb));
      assign(f, cp, I.add(coef, I.shl(c, 2)));
      forRange(f, i, 0, n, 1, () => {
        f.get(cp); v.loadSplat(f); f.set(s);
        for (let w = 0; w < width; w++) {
          f.get(xr); v.load(f, w * v.bytes); f.get(ms[w]!); v.sub(f); f.set(diff);
          if (diagonal) {
            f.get(diff).get(s); v.mul(f); f.set(t);
            f.get(as[w]!).get(t); v.add(f); f.set(as[w]!);
            v.accumulate(f, ws[w]!, t, diff);
          } else {
            v.accumulate(f, as[w]!, s, diff);
          }
        }
        addTo(f, xr, dBytes);
        addTo(f, cp, kBytes);
      });
      assign(f, out, I.add(I.add(dMeans, I.mul(c, dBytes)), jb));
      for (let w = 0; w < width; w++) {
        f.get(out).get(as[w]!);
        if (diagonal) { f.get(ip); v.load(f, w * v.bytes); v.mul(f); }
        f.op(v.simd ? 'f32x4.neg' : 'f32.neg');
        v.store(f, w * v.bytes);
      }
      if (diagonal) {
        const bias = f.local(v.type);
        emit(f, I.at4(lvBias, c)); v.loadSplat(f); f.set(bias);
        assign(f, out, I.add(I.add(dLogVar, I.mul(c, dBytes)), jb));
        for (let w = 0; w < width; w++) {
          f.get(out).get(bias).get(ws[w]!);
          f.get(ip); v.load(f, w * v.bytes); v.mul(f);
          if (v.simd) f.f32x4Const(0.5); else f.f32(0.5);
          v.mul(f); v.sub(f); v.store(f, w * v.bytes);
        }
      }
    });
  });
}

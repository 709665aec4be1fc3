/**
 * exp of float32 values for the kernels (wasm has no exp instruction): Cephes' expf. n = round(x·log₂e),
 * r = x − n·ln 2 with ln 2 in two parts (n·C1 exact), e^r from a degree-5 polynomial, times 2^n
 * built from its bits: within 1 ulp of the true value on [−87.3, 88.3]. Below −87.3 (where e^x is
 * under the smallest normal float, −∞ included) the result is 0; above 88.3 it stays at e^88.3
 * ≈ 2.2e38 (2^n must stay a normal float). NaN stays NaN (min/max and the polynomial propagate it;
 * the saturating conversion makes n = 0).
 */
import type { FunctionBuilder, Local } from '../assembler.js';
import type { Vec } from './vec.js';

const LOG2E = 1.44269504088896341;
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
const POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

/** pushes exp(x) (x a local of v.type; x is overwritten) */
export function emitExp(f: FunctionBuilder, v: Vec, x: Local): void {
  const c = (value: number) => { if (v.simd) f.f32x4Const(value); else f.f32(value); };
  const op = (simd: Parameters<FunctionBuilder['op']>[0], scalar: Parameters<FunctionBuilder['op']>[0]) => f.op(v.simd ? simd : scalar);
  const n = f.local(v.type), r = f.local(v.type), p = f.local(v.type), tiny = f.local(v.simd ? 'v128' : 'i32');
  f.get(x); c(-87.3); op('f32x4.lt', 'f32.lt'); f.set(tiny);
  f.get(x); c(88.3); op('f32x4.min', 'f32.min'); c(-87.3); op('f32x4.max', 'f32.max'); f.set(x);
  f.get(x); c(LOG2E); v.mul(f); op('f32x4.nearest', 'f32.nearest'); f.set(n);
  // r = (x − n·C1) − n·C2
  f.get(x).get(n); c(LN2_HI); v.mul(f); v.sub(f); f.get(n); c(LN2_LO); v.mul(f); v.sub(f); f.set(r);
  // Horner: p = ((((P0·r + P1)·r + P2)·r + P3)·r + P4)·r + P5, then e^r = p·r² + r + 1
  c(POLY[0]!);
  for (let i = 1; i < POLY.length; i++) { f.get(r); v.mul(f); c(POLY[i]!); v.add(f); }
  f.get(r).get(r); v.mul(f); v.mul(f); f.get(r); v.add(f); c(1); v.add(f); f.set(p);
  // 2^n from its bits: (n + 127) << 23
  f.get(p).get(n);
  if (v.simd) { f.op('i32x4.trunc_sat_f32x4_s'); f.i32(127).op('i32x4.splat').op('i32x4.add').i32(23).op('i32x4.shl'); }
  else { f.op('i32.trunc_sat_f32_s').i32(127).op('i32.add').i32(23).op('i32.shl').op('f32.reinterpret_i32'); }
  v.mul(f);
  // flush to zero below the range
  if (v.simd) { f.get(tiny).op('v128.andnot'); }
  else { f.set(p); f.f32(0).get(p).get(tiny).op('select'); }
}

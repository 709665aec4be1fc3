/**
 * The arithmetic "vector" the GEMM code is written against: a v128 of four f32 lanes with SIMD, or a
 * single f32 in the scalar fallback. Generators call these instead of naming opcodes so one
 * generator emits both paths.
 */
import type { FunctionBuilder, Local, ValType } from '../assembler.js';

export class Vec {
  readonly lanes: number;
  readonly bytes: number;
  readonly type: ValType;

  constructor(readonly simd: boolean, readonly fusedMadd: boolean) {
    this.lanes = simd ? 4 : 1;
    this.bytes = simd ? 16 : 4;
    this.type = simd ? 'v128' : 'f32';
  }

  load(f: FunctionBuilder, offset = 0): void { f.mem(this.simd ? 'v128.load' : 'f32.load', offset); }
  store(f: FunctionBuilder, offset = 0): void { f.mem(this.simd ? 'v128.store' : 'f32.store', offset); }
  /** one f32 from memory in every lane */
  loadSplat(f: FunctionBuilder, offset = 0): void { f.mem(this.simd ? 'v128.load32_splat' : 'f32.load', offset); }
  zero(f: FunctionBuilder): void { if (this.simd) f.f32x4Const(0); else f.f32(0); }
  add(f: FunctionBuilder): void { f.op(this.simd ? 'f32x4.add' : 'f32.add'); }
  sub(f: FunctionBuilder): void { f.op(this.simd ? 'f32x4.sub' : 'f32.sub'); }
  mul(f: FunctionBuilder): void { f.op(this.simd ? 'f32x4.mul' : 'f32.mul'); }
  /** an f32 on the stack → the same value in every lane */
  splat(f: FunctionBuilder): void { if (this.simd) f.op('f32x4.splat'); }
  /** the f32 sum of v's lanes, in a fixed order ((l0 + l1) + l2) + l3 */
  sumLanes(f: FunctionBuilder, v: Local): void {
    if (!this.simd) { f.get(v); return; }
    f.get(v).lane('f32x4.extract_lane', 0).get(v).lane('f32x4.extract_lane', 1).op('f32.add');
    f.get(v).lane('f32x4.extract_lane', 2).op('f32.add').get(v).lane('f32x4.extract_lane', 3).op('f32.add');
  }
  /**
   * acc += a·b. With relaxed madd this may be fused (one rounding, where the hardware has FMA);
   * otherwise a multiply then an add.
   */
  accumulate(f: FunctionBuilder, acc: Local, a: Local, b: Local): void {
    if (this.simd && this.fusedMadd) f.get(a).get(b).get(acc).op('f32x4.relaxed_madd').set(acc);
    else { f.get(acc).get(a).get(b); this.mul(f); this.add(f); f.set(acc); }
  }
}

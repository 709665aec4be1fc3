/**
 * Register-blocked GEMM, BLIS style: C (+)= A·B is cut into kc-deep, mc-tall, nc-wide blocks; each
 * block of A and B is packed into contiguous micro-panels (MR rows × kc, kc × NR columns, zero
 * padded) and an MR×NR micro-kernel keeps its outputs in v128 locals (registers in V8) while it
 * streams one A and one B micro-panel. Transposed operands and odd shapes are handled by packing.
 *
 * All functions here take byte addresses and byte strides; the `gemm` driver converts the element
 * fields of its parameter block.
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { GEMM_FIELDS } from '../layout.js';
import { I, assign, addTo, emit, forRange, forUnits, when, doWhile, type Ex } from '../emit.js';
import { Vec } from './vec.js';

export interface GemmShape {
  /** micro-tile rows and columns; NR is a multiple of the vector width */
  mr: number;
  nr: number;
  /** cache blocks: depth, rows (a multiple of mr), columns (a multiple of nr) */
  kc: number;
  mc: number;
  nc: number;
}

export interface GemmFunctions {
  /** (a, b, kc, c, ldcBytes, accumulate): one full MR×NR tile */
  micro: number;
  /** (a, b, mc, nc, kc, c, ldcBytes, accumulate, tile): all tiles of one packed block pair */
  macro: number;
  /** (src, rsBytes, csBytes, mc, kc, dst) */
  packA: number;
  /** (src, rsBytes, csBytes, kc, nc, dst) */
  packB: number;
  /** (a, rsA, csA, b, rsB, csB, c, ldc, m, n, k, accumulate, bufA, bufB, tile), strides in bytes */
  gemmCore: number;
  /** (params): the batched driver over GEMM_FIELDS */
  gemm: number;
}

export function emitGemm(mod: ModuleBuilder, vec: Vec, shape: GemmShape): GemmFunctions {
  const { mr: MR, nr: NR } = shape;
  if (NR % vec.lanes !== 0) throw new Error(`gemm codegen: NR=${NR} is not a multiple of ${vec.lanes} lanes`);
  if (shape.mc % MR !== 0 || shape.nc % NR !== 0) throw new Error('gemm codegen: mc/nc must be multiples of MR/NR');

  const micro = mod.declare('gemmMicro', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], false);
  const copyTile = mod.declare('gemmCopyTile', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], false);
  const macro = mod.declare('gemmMacro', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], false);
  const packA = mod.declare('gemmPackA', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], false);
  const packB = mod.declare('gemmPackB', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], false);
  const gemmCore = mod.declare('gemmCore', Array(15).fill('i32'), [], false);
  const gemm = mod.declare('gemm', ['i32'], []);

  mod.define(micro, (f, a, b, kc, c, ldc, accumulate) => emitMicro(f, vec, MR, NR, a!, b!, kc!, c!, ldc!, accumulate!));

  mod.define(copyTile, (f, tile, c, ldc, rows, cols, accumulate) => {
    // the valid rows × cols corner of an edge tile (row stride NR) into C
    const r = f.local('i32'), j = f.local('i32'), src = f.local('i32'), dst = f.local('i32');
    const v = f.local('f32');
    forRange(f, r, 0, rows!, 1, () => {
      assign(f, src, I.add(tile!, I.mul(r, NR * 4)));
      assign(f, dst, I.add(c!, I.mul(r, ldc!)));
      forRange(f, j, 0, cols!, 1, () => {
        f.get(src).mem('f32.load').set(v);
        when(f, accumulate!, () => { f.get(v).get(dst).mem('f32.load').op('f32.add').set(v); });
        f.get(dst).get(v).mem('f32.store');
        addTo(f, src, 4);
        addTo(f, dst, 4);
      });
    });
  });

  mod.define(macro, (f, a, b, mc, nc, kc, c, ldc, accumulate, tile) => {
    const jr = f.local('i32'), ir = f.local('i32'), rows = f.local('i32'), cols = f.local('i32');
    const ap = f.local('i32'), bp = f.local('i32'), cp = f.local('i32');
    forRange(f, jr, 0, nc!, NR, () => {
      assign(f, cols, I.min(I.sub(nc!, jr), NR));
      assign(f, bp, I.add(b!, I.shl(I.mul(jr, kc!), 2)));
      forRange(f, ir, 0, mc!, MR, () => {
        assign(f, rows, I.min(I.sub(mc!, ir), MR));
        assign(f, ap, I.add(a!, I.shl(I.mul(ir, kc!), 2)));
        assign(f, cp, I.add(I.add(c!, I.mul(ir, ldc!)), I.shl(jr, 2)));
        when(f, I.and(I.eq(rows, MR), I.eq(cols, NR)), () => {
          for (const x of [ap, bp, kc!, cp, ldc!, accumulate!]) f.get(x);
          f.call(micro);
        }, () => {
          for (const x of [ap, bp, kc!, tile!]) f.get(x);
          f.i32(NR * 4).i32(0).call(micro);
          for (const x of [tile!, cp, ldc!, rows, cols, accumulate!]) f.get(x);
          f.call(copyTile);
        });
      });
    });
  });

  mod.define(packA, (f, src, rs, cs, mc, kc, dst) => emitPackA(f, vec, MR, src!, rs!, cs!, mc!, kc!, dst!));
  mod.define(packB, (f, src, rs, cs, kc, nc, dst) => emitPackB(f, vec, NR, src!, rs!, cs!, kc!, nc!, dst!));

  mod.define(gemmCore, (f, a, rsA, csA, b, rsB, csB, c, ldc, m, n, k, accumulate, bufA, bufB, tile) => {
    const jc = f.local('i32'), pc = f.local('i32'), ic = f.local('i32');
    const ncb = f.local('i32'), kcb = f.local('i32'), mcb = f.local('i32');
    forRange(f, jc, 0, n!, shape.nc, () => {
      assign(f, ncb, I.min(I.sub(n!, jc), shape.nc));
      forRange(f, pc, 0, k!, shape.kc, () => {
        assign(f, kcb, I.min(I.sub(k!, pc), shape.kc));
        emit(f, I.add(I.add(b!, I.mul(pc, rsB!)), I.mul(jc, csB!)));
        for (const x of [rsB!, csB!, kcb, ncb, bufB!]) f.get(x);
        f.call(packB);
        forRange(f, ic, 0, m!, shape.mc, () => {
          assign(f, mcb, I.min(I.sub(m!, ic), shape.mc));
          emit(f, I.add(I.add(a!, I.mul(ic, rsA!)), I.mul(pc, csA!)));
          for (const x of [rsA!, csA!, mcb, kcb, bufA!]) f.get(x);
          f.call(packA);
          for (const x of [bufA!, bufB!, mcb, ncb, kcb]) f.get(x);
          emit(f, I.add(I.add(c!, I.mul(ic, ldc!)), I.shl(jc, 2)));
          f.get(ldc!);
          emit(f, I.or(accumulate!, I.gt(pc, 0)));
          f.get(tile!);
          f.call(macro);
        });
      });
    });
  });

  mod.define(gemm, (f, params) => {
    const P = (name: keyof typeof GEMM_FIELDS): Ex => I.load(params!, GEMM_FIELDS[name]);
    const field = (name: keyof typeof GEMM_FIELDS): Local => { const l = f.local('i32'); assign(f, l, P(name)); return l; };
    const rsA = field('rsA'), csA = field('csA'), rsB = field('rsB'), csB = field('csB'), ldc = field('ldc');
    const m0 = field('m0'), m1 = field('m1'), n0 = field('n0'), n1 = field('n1');
    const b0 = field('b0'), b1 = field('b1'), nChunk = field('nChunk'), dyn = field('dyn');
    const bi = f.local('i32'), u = f.local('i32'), chunks = f.local('i32'), units = f.local('i32');
    const ns = f.local('i32'), ne = f.local('i32');
    assign(f, chunks, I.div(I.add(I.sub(n1, n0), I.sub(nChunk, 1)), nChunk));
    assign(f, units, I.mul(I.sub(b1, b0), chunks));
    forUnits(f, u, units, dyn, () => {
      assign(f, bi, I.add(b0, I.div(u, chunks)));
      assign(f, ns, I.add(n0, I.mul(I.rem(u, chunks), nChunk)));
      assign(f, ne, I.min(n1, I.add(ns, nChunk)));
      // A block origin: a + bi·batchA + m0·rsA
      emit(f, I.at4(P('a'), I.add(I.mul(bi, P('batchA')), I.mul(m0, rsA))));
      emit(f, I.shl(rsA, 2)); emit(f, I.shl(csA, 2));
      emit(f, I.at4(P('b'), I.add(I.mul(bi, P('batchB')), I.mul(ns, csB))));
      emit(f, I.shl(rsB, 2)); emit(f, I.shl(csB, 2));
      emit(f, I.at4(P('c'), I.add(I.add(I.mul(bi, P('batchC')), I.mul(m0, ldc)), ns)));
      emit(f, I.shl(ldc, 2));
      emit(f, I.sub(m1, m0)); emit(f, I.sub(ne, ns)); emit(f, P('k'));
      emit(f, P('accumulate'));
      emit(f, P('bufA')); emit(f, P('bufB')); emit(f, P('tile'));
      f.call(gemmCore);
    });
  });

  return { micro, macro, packA, packB, gemmCore, gemm };
}

/**
 * The micro-kernel: MR × (NR / lanes) accumulators live in locals for the whole k loop. Per step it
 * loads NR/lanes vectors of B, and for each of the MR rows splats one A value and multiply-adds.
 */
function emitMicro(f: FunctionBuilder, vec: Vec, MR: number, NR: number,
  a: Local, b: Local, kc: Local, c: Local, ldc: Local, accumulate: Local): void {
  const nv = NR / vec.lanes;
  const acc: Local[][] = [];
  for (let r = 0; r < MR; r++) {
    acc.push([]);
    for (let v = 0; v < nv; v++) { const l = f.local(vec.type); acc[r]!.push(l); vec.zero(f); f.set(l); }
  }
  const bv: Local[] = [];
  for (let v = 0; v < nv; v++) bv.push(f.local(vec.type));
  const av = f.local(vec.type);
  doWhile(f, () => {
    for (let v = 0; v < nv; v++) { f.get(b); vec.load(f, v * vec.bytes); f.set(bv[v]!); }
    for (let r = 0; r < MR; r++) {
      f.get(a); vec.loadSplat(f, r * 4); f.set(av);
      for (let v = 0; v < nv; v++) vec.accumulate(f, acc[r]![v]!, av, bv[v]!);
    }
    addTo(f, a, MR * 4);
    addTo(f, b, NR * 4);
    assign(f, kc, I.sub(kc, 1));
  }, I.gt(kc, 0));
  const row = f.local('i32');
  const store = (withC: boolean) => {
    assign(f, row, c);
    for (let r = 0; r < MR; r++) {
      if (r > 0) addTo(f, row, ldc);
      for (let v = 0; v < nv; v++) {
        f.get(row).get(acc[r]![v]!);
        if (withC) { f.get(row); vec.load(f, v * vec.bytes); vec.add(f); }
        vec.store(f, v * vec.bytes);
      }
    }
  };
  when(f, accumulate, () => store(true), () => store(false));
}

/** Packs an mc × kc block of A into MR-row micro-panels laid out [panel][p][MR], zero padded. */
function emitPackA(f: FunctionBuilder, vec: Vec, MR: number,
  src: Local, rs: Local, cs: Local, mc: Local, kc: Local, dst: Local): void {
  const ir = f.local('i32'), rows = f.local('i32'), p = f.local('i32'), r = f.local('i32');
  const s = f.local('i32'), t = f.local('i32');
  const rowPtr: Local[] = [];
  for (let i = 0; i < MR; i++) rowPtr.push(f.local('i32'));
  forRange(f, ir, 0, mc, MR, () => {
    assign(f, rows, I.min(I.sub(mc, ir), MR));
    assign(f, s, I.add(src, I.mul(ir, rs)));
    when(f, I.eq(rows, MR), () => {
      const generic = () => {
        for (let i = 0; i < MR; i++) assign(f, rowPtr[i]!, i === 0 ? s : I.add(rowPtr[i - 1]!, rs));
        assign(f, p, 0);
        if (vec.simd && MR === 4) {
          // rows contiguous along k: 4×4 blocks, loaded as rows and transposed in registers
          when(f, I.eq(cs, 4), () => emitTransposed(f, rowPtr, dst, p, kc, MR * 4));
        }
        forRange(f, p, p, kc, 1, () => {
          for (let i = 0; i < MR; i++) {
            f.get(dst).get(rowPtr[i]!).mem('f32.load').mem('f32.store', i * 4);
            addTo(f, rowPtr[i]!, cs);
          }
          addTo(f, dst, MR * 4);
        });
      };
      if (vec.simd && MR % 4 === 0) {
        // A stored transposed (rows adjacent in memory): each k step is MR/4 straight vector copies
        when(f, I.eq(rs, 4), () => {
          forRange(f, p, 0, kc, 1, () => {
            for (let i = 0; i < MR; i += 4) f.get(dst).get(s).mem('v128.load', i * 4).mem('v128.store', i * 4);
            addTo(f, s, cs);
            addTo(f, dst, MR * 4);
          });
        }, generic);
      } else generic();
    }, () => {
      // edge panel: rows ≥ `rows` are zeros
      forRange(f, p, 0, kc, 1, () => {
        assign(f, t, s);
        forRange(f, r, 0, MR, 1, () => {
          when(f, I.lt(r, rows), () => { f.get(dst).get(t).mem('f32.load').mem('f32.store'); },
            () => { f.get(dst).f32(0).mem('f32.store'); });
          addTo(f, t, rs);
          addTo(f, dst, 4);
        });
        addTo(f, s, cs);
      });
    });
  });
}

/** Packs a kc × nc block of B into NR-column micro-panels laid out [panel][p][NR], zero padded. */
function emitPackB(f: FunctionBuilder, vec: Vec, NR: number,
  src: Local, rs: Local, cs: Local, kc: Local, nc: Local, dst: Local): void {
  const jr = f.local('i32'), cols = f.local('i32'), p = f.local('i32'), j = f.local('i32');
  const s = f.local('i32'), t = f.local('i32');
  const colPtr: Local[] = [];
  for (let i = 0; i < NR; i++) colPtr.push(f.local('i32'));
  forRange(f, jr, 0, nc, NR, () => {
    assign(f, cols, I.min(I.sub(nc, jr), NR));
    assign(f, s, I.add(src, I.mul(jr, cs)));
    when(f, I.eq(cols, NR), () => {
      const generic = () => {
        assign(f, p, 0);
        if (vec.simd && NR % 4 === 0) {
          // B stored transposed (k contiguous per column): 4×4 blocks transposed in registers
          when(f, I.eq(rs, 4), () => {
            for (let i = 0; i < NR; i++) assign(f, colPtr[i]!, i === 0 ? s : I.add(colPtr[i - 1]!, cs));
            emitTransposed(f, colPtr, dst, p, kc, NR * 4);
            assign(f, s, colPtr[0]!);
          });
        }
        forRange(f, p, p, kc, 1, () => {
          assign(f, t, s);
          for (let i = 0; i < NR; i++) {
            f.get(dst).get(t).mem('f32.load').mem('f32.store', i * 4);
            if (i < NR - 1) addTo(f, t, cs);
          }
          addTo(f, s, rs);
          addTo(f, dst, NR * 4);
        });
      };
      if (vec.simd) {
        // B stored row-major (columns adjacent): each k step is NR/4 straight vector copies
        when(f, I.eq(cs, 4), () => {
          forRange(f, p, 0, kc, 1, () => {
            for (let i = 0; i < NR; i += 4) f.get(dst).get(s).mem('v128.load', i * 4).mem('v128.store', i * 4);
            addTo(f, s, rs);
            addTo(f, dst, NR * 4);
          });
        }, generic);
      } else generic();
    }, () => {
      forRange(f, p, 0, kc, 1, () => {
        assign(f, t, s);
        forRange(f, j, 0, NR, 1, () => {
          when(f, I.lt(j, cols), () => { f.get(dst).get(t).mem('f32.load').mem('f32.store'); },
            () => { f.get(dst).f32(0).mem('f32.store'); });
          addTo(f, t, cs);
          addTo(f, dst, 4);
        });
        addTo(f, s, rs);
      });
    });
  });
}

/**
 * While 4 more k steps remain: load 4 consecutive values through each pointer (4 per 4×4 block),
 * transpose each block with shuffles (interleave pairs of rows, then pairs of pairs) and store its
 * k step j at dst + j·stepBytes + block·16. Advances the pointers by 16 bytes, dst by 4·stepBytes
 * and p by 4.
 */
function emitTransposed(f: FunctionBuilder, ptrs: Local[], dst: Local, p: Local, kc: Local, stepBytes: number): void {
  const r = [0, 1, 2, 3].map(() => f.local('v128'));
  const t = [0, 1, 2, 3].map(() => f.local('v128'));
  const end = f.local('i32');
  assign(f, end, I.sub(kc, 3));
  forRange(f, p, p, end, 4, () => {
    for (let block = 0; block < ptrs.length / 4; block++) {
      for (let i = 0; i < 4; i++) {
        const ptr = ptrs[block * 4 + i]!;
        f.get(ptr).mem('v128.load').set(r[i]!);
        addTo(f, ptr, 16);
      }
      // t0 = a0 b0 a1 b1, t1 = a2 b2 a3 b3, t2 = c0 d0 c1 d1, t3 = c2 d2 c3 d3
      f.get(r[0]!).get(r[1]!).f32x4Shuffle([0, 4, 1, 5]).set(t[0]!);
      f.get(r[0]!).get(r[1]!).f32x4Shuffle([2, 6, 3, 7]).set(t[1]!);
      f.get(r[2]!).get(r[3]!).f32x4Shuffle([0, 4, 1, 5]).set(t[2]!);
      f.get(r[2]!).get(r[3]!).f32x4Shuffle([2, 6, 3, 7]).set(t[3]!);
      // k step j holds lane j of every pointer: a_j b_j c_j d_j
      const at = (j: number) => j * stepBytes + block * 16;
      f.get(dst).get(t[0]!).get(t[2]!).f32x4Shuffle([0, 1, 4, 5]).mem('v128.store', at(0));
      f.get(dst).get(t[0]!).get(t[2]!).f32x4Shuffle([2, 3, 6, 7]).mem('v128.store', at(1));
      f.get(dst).get(t[1]!).get(t[3]!).f32x4Shuffle([0, 1, 4, 5]).mem('v128.store', at(2));
      f.get(dst).get(t[1]!).get(t[3]!).f32x4Shuffle([2, 3, 6, 7]).mem('v128.store', at(3));
    }
    addTo(f, dst, 4 * stepBytes);
  });
}

/**
 * The input layout of the implicit-GEMM convolutions: image src [C, H, W] (srcImage bytes apart)
 * copied with stride s and padding (pT, pL) into prep as s·s phases of C planes of PH × PW
 * (prepBytes in all, zeroed once per call: every image writes the same positions), so that each
 * patch row (c, kh, kw) over consecutive output pixels of one row is consecutive floats.
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { I, addTo, assign, emit, forRange, when, type Ex } from '../emit.js';

export const PREP_FIELDS = ['src', 'srcImage', 'C', 'H', 'W', 's', 'pT', 'pL', 'PH', 'PW', 'prep', 'prepBytes'] as const;
export type PrepField = (typeof PREP_FIELDS)[number];

/** acc += a·b on four lanes (fused where relaxed madd is on) */
export type Madd = (f: FunctionBuilder, acc: Local, a: Local, b: Local) => void;

export function maddOf(fma: boolean): Madd {
  return (f, acc, a, b) => {
    if (fma) f.get(a).get(b).get(acc).op('f32x4.relaxed_madd').set(acc);
    else f.get(acc).get(a).get(b).op('f32x4.mul').op('f32x4.add').set(acc);
  };
}

/** the layout's fields of a driver's parameter block, read into locals */
export function readPrepFields(P: (name: PrepField) => Local): (name: PrepField) => Local {
  const read = Object.fromEntries(PREP_FIELDS.map((n) => [n, P(n)])) as Record<PrepField, Local>;
  return (n) => read[n];
}

export function emitPrepareFunction(mod: ModuleBuilder): number {
  return mod.func('convImplicitPrepare', Array(10).fill('i32'), [], (f, ...a) => emitPrepare(f, a), false);
}

/** image b into the layout (the caller zeroed prep once) */
export function prepareImage(f: FunctionBuilder, prepare: number, R: (name: PrepField) => Local, b: Local): void {
  emit(f, I.add(R('src'), I.mul(b, R('srcImage'))));
  for (const n of ['C', 'H', 'W', 's', 'pT', 'pL', 'PH', 'PW', 'prep'] as const) f.get(R(n));
  f.call(prepare);
}

/**
 * (src, C, H, W, s, pT, pL, PH, PW, dst): dst[(a·s + b)·C + c][i][j] = src[c][ih][iw] where
 * ih + pT = i·s + a and iw + pL = j·s + b; positions no input lands on are left as they are.
 * Rows are copied with vectors for s = 1 (4 floats at a time) and s = 2 (8 floats split into even
 * and odd columns), the rest of a row one float at a time.
 */
function emitPrepare(f: FunctionBuilder, args: Local[]): void {
  const [src, C, H, W, s, pT, pL, PH, PW, dst] = args as [Local, Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const L = () => f.local('i32');
  const planeBytes = L(), phaseBytes = L(), c = L(), ih = L(), rowDst = L(), srow = L(), iw = L();
  const cc = L(), dE = L(), dO = L(), vecEnd = L();
  const v0 = f.local('v128'), v1 = f.local('v128');
  assign(f, planeBytes, I.shl(I.mul(PH, PW), 2));
  assign(f, phaseBytes, I.mul(C, planeBytes));
  assign(f, srow, src);
  const a0 = L(), i0 = L(), a = L(), phaseRow = L(), wrap = L();
  // padded row ih + pT = i·s + a; the row's phase-(a, 0) start dst + a·s·phaseBytes +
  // c·planeBytes + i·PW·4 is stepped from row to row (the next a's phase, or back to a = 0 a row down)
  emit(f, pT); emit(f, s); f.op('i32.rem_u').set(a0);
  emit(f, pT); emit(f, s); f.op('i32.div_u').set(i0);
  assign(f, phaseRow, I.mul(s, phaseBytes));
  assign(f, wrap, I.sub(I.shl(PW, 2), I.mul(I.sub(s, 1), phaseRow)));
  forRange(f, c, 0, C, 1, () => {
    assign(f, a, a0);
    assign(f, rowDst, I.add(I.add(dst, I.mul(a0, phaseRow)), I.add(I.mul(c, planeBytes), I.shl(I.mul(i0, PW), 2))));
    forRange(f, ih, 0, H, 1, () => {
      // each vector loop leaves iw at the first column it did not copy
      assign(f, iw, 0);
      when(f, I.eq(s, 1), () => {
        assign(f, dE, I.at4(rowDst, pL));
        assign(f, vecEnd, I.sub(W, 3));
        forRange(f, iw, 0, vecEnd, 4, () => {
          f.get(dE).get(srow).get(iw).i32(2).op('i32.shl').op('i32.add').mem('v128.load').mem('v128.store');
          addTo(f, dE, 16);
        });
      });
      when(f, I.eq(s, 2), () => {
        // even columns land in phase b = pL mod 2 from column pL / 2, odd ones in the other
        assign(f, cc, I.add(pL, 1));
        assign(f, dE, I.add(I.add(rowDst, I.mul(I.and(pL, 1), phaseBytes)), I.shl(I.shr(pL, 1), 2)));
        assign(f, dO, I.add(I.add(rowDst, I.mul(I.and(cc, 1), phaseBytes)), I.shl(I.shr(cc, 1), 2)));
        assign(f, vecEnd, I.sub(W, 7));
        forRange(f, iw, 0, vecEnd, 8, () => {
          f.get(srow).get(iw).i32(2).op('i32.shl').op('i32.add').set(cc);
          f.get(cc).mem('v128.load').set(v0);
          f.get(cc).mem('v128.load', 16).set(v1);
          f.get(dE).get(v0).get(v1).f32x4Shuffle([0, 2, 4, 6]).mem('v128.store');
          f.get(dO).get(v0).get(v1).f32x4Shuffle([1, 3, 5, 7]).mem('v128.store');
          addTo(f, dE, 16); addTo(f, dO, 16);
        });
      });
      // the rest of the row (all of it for other strides)
      f.block((exit) => {
        f.loop((top) => {
          emit(f, I.ge(iw, W)); f.brIf(exit);
          assign(f, cc, I.add(iw, pL));
          const b: Ex = (g) => { emit(g, cc); emit(g, s); g.op('i32.rem_u'); };
          const j: Ex = (g) => { emit(g, cc); emit(g, s); g.op('i32.div_u'); };
          emit(f, I.add(I.add(rowDst, I.mul(b, phaseBytes)), I.shl(j, 2)));
          emit(f, I.at4(srow, iw));
          f.mem('f32.load').mem('f32.store');
          addTo(f, iw, 1);
          f.br(top);
        });
      });
      assign(f, srow, I.at4(srow, W));
      addTo(f, a, 1);
      when(f, I.eq(a, s), () => { assign(f, a, 0); addTo(f, rowDst, wrap); }, () => addTo(f, rowDst, phaseRow));
    });
  });
}


/**
 * Expression and loop helpers over the assembler, so kernel generators read like structured code.
 * An `Ex` is an i32-valued expression emitted lazily: a local, a constant, or a thunk that pushes
 * one value. Thunks are emitted in argument order, which is also wasm's stack order.
 */
import type { FunctionBuilder, Label, Local, PlainOp } from './assembler.js';

export type Ex = Local | number | ((f: FunctionBuilder) => void);

export function emit(f: FunctionBuilder, x: Ex): void {
  if (typeof x === 'number') f.i32(x);
  else if (typeof x === 'function') x(f);
  else f.get(x);
}

function binary(op: PlainOp) {
  return (a: Ex, b: Ex): Ex => (f) => { emit(f, a); emit(f, b); f.op(op); };
}

/** i32 arithmetic and comparisons (signed unless the name says otherwise) */
export const I = {
  add: binary('i32.add'), sub: binary('i32.sub'), mul: binary('i32.mul'),
  div: binary('i32.div_s'), rem: binary('i32.rem_s'), and: binary('i32.and'), or: binary('i32.or'),
  shl: binary('i32.shl'), shr: binary('i32.shr_s'),
  eq: binary('i32.eq'), ne: binary('i32.ne'), lt: binary('i32.lt_s'), le: binary('i32.le_s'),
  gt: binary('i32.gt_s'), ge: binary('i32.ge_s'), ltU: binary('i32.lt_u'), geU: binary('i32.ge_u'),
  /** min/max/select emit their operands more than once: pass locals, constants or cheap thunks */
  min: (a: Ex, b: Ex): Ex => (f) => { emit(f, a); emit(f, b); emit(f, a); emit(f, b); f.op('i32.lt_s').op('select'); },
  max: (a: Ex, b: Ex): Ex => (f) => { emit(f, a); emit(f, b); emit(f, a); emit(f, b); f.op('i32.gt_s').op('select'); },
  /** c ? a : b (all three evaluated) */
  select: (c: Ex, a: Ex, b: Ex): Ex => (f) => { emit(f, a); emit(f, b); emit(f, c); f.op('select'); },
  /** byte address of element i in a float32 array at byte address base */
  at4: (base: Ex, i: Ex): Ex => (f) => { emit(f, base); emit(f, i); f.i32(2).op('i32.shl').op('i32.add'); },
  /** an i32 field of a parameter block */
  load: (addr: Ex, offset = 0): Ex => (f) => { emit(f, addr); f.mem('i32.load', offset); },
};

/**
 * A reader of a parameter block's fields (layout: field → byte offset) into fresh locals: i32
 * fields, or float64 ones stored as a word pair.
 */
export function fieldReader<L extends Record<string, number>>(f: FunctionBuilder, params: Local, layout: L, type: 'i32' | 'f64' = 'i32') {
  return (name: keyof L & string): Local => {
    const l = f.local(type);
    if (type === 'i32') assign(f, l, I.load(params, layout[name]!));
    else f.get(params).mem('f64.load', layout[name]!).set(l);
    return l;
  };
}

export function assign(f: FunctionBuilder, l: Local, x: Ex): void {
  emit(f, x);
  f.set(l);
}

export function addTo(f: FunctionBuilder, l: Local, x: Ex): void {
  f.get(l);
  emit(f, x);
  f.op('i32.add').set(l);
}

/** if (cond) then() [else otherwise()] */
export function when(f: FunctionBuilder, cond: Ex, then: (exit: Label) => void, otherwise?: (exit: Label) => void): void {
  emit(f, cond);
  f.if(then, otherwise);
}

/**
 * for (i = from; i < to; i += step) body(brk). `to` and `step` are re-evaluated every iteration
 * (pass locals or constants). `brk` leaves the loop.
 */
export function forRange(f: FunctionBuilder, i: Local, from: Ex, to: Ex, step: Ex, body: (brk: Label) => void): void {
  assign(f, i, from);
  f.block((brk) => {
    emit(f, I.ge(i, to));
    f.brIf(brk);
    f.loop((top) => {
      body(brk);
      addTo(f, i, step);
      emit(f, I.lt(i, to));
      f.brIf(top);
    });
  });
}

/** do { body } while (cond), for loops known to run at least once */
export function doWhile(f: FunctionBuilder, body: () => void, cond: Ex): void {
  f.loop((top) => {
    body();
    emit(f, cond);
    f.brIf(top);
  });
}

/**
 * for (u = 0; u < count; u++) body, or, when `counter` (an address) is not 0, each iteration takes
 * the next unit from the shared counter with an atomic add, so threads that run faster take more
 * units (dynamic scheduling on a busy machine). `count` is re-evaluated every iteration.
 */
export function forUnits(f: FunctionBuilder, u: Local, count: Ex, counter: Local, body: () => void): void {
  assign(f, u, 0);
  f.block((exit) => {
    f.loop((top) => {
      when(f, counter, () => { f.get(counter).i32(1).atomicAdd().set(u); });
      emit(f, I.ge(u, count));
      f.brIf(exit);
      body();
      // static: the next unit; dynamic: the counter decides
      emit(f, I.add(u, I.eq(counter, 0)));
      f.set(u);
      f.br(top);
    });
  });
}

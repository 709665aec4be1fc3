/** Small memory kernels the drivers share: zeroing and adding float32 ranges. */
import type { ModuleBuilder } from '../assembler.js';
import { I, addTo, assign, forRange, when } from '../emit.js';
import type { Vec } from './vec.js';

export interface UtilFunctions {
  /** (dst, count): count float32 zeros at dst */
  zero: number;
  /** (dst, src, count): dst[i] += src[i] */
  addInto: number;
}

export function emitUtil(mod: ModuleBuilder, vec: Vec): UtilFunctions {
  const zero = mod.func('zeroF32', ['i32', 'i32'], [], (f, dst, count) => {
    f.get(dst!).i32(0).get(count!).i32(2).op('i32.shl').memoryFill();
  });

  const addInto = mod.func('addIntoF32', ['i32', 'i32', 'i32'], [], (f, dst, src, count) => {
    const i = f.local('i32'), end = f.local('i32');
    assign(f, end, I.sub(count!, vec.lanes - 1));
    if (vec.lanes > 1) {
      assign(f, i, 0);
      when(f, I.gt(end, 0), () => {
        forRange(f, i, 0, end, vec.lanes, () => {
          f.get(dst!).get(dst!); vec.load(f); f.get(src!); vec.load(f); vec.add(f); vec.store(f);
          addTo(f, dst!, vec.bytes);
          addTo(f, src!, vec.bytes);
        });
      });
      // scalar tail; i holds the first element not yet added
      const t = f.local('i32');
      forRange(f, t, i, count!, 1, () => {
        f.get(dst!).get(dst!).mem('f32.load').get(src!).mem('f32.load').op('f32.add').mem('f32.store');
        addTo(f, dst!, 4);
        addTo(f, src!, 4);
      });
    } else {
      forRange(f, i, 0, count!, 1, () => {
        f.get(dst!).get(dst!).mem('f32.load').get(src!).mem('f32.load').op('f32.add').mem('f32.store');
        addTo(f, dst!, 4);
        addTo(f, src!, 4);
      });
    }
  });

  return { zero, addInto };
}

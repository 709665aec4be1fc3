/** Storage lifetime and accounting of the CPU backend, and the hooks a subclass builds on. */
import { describe, expect, it } from 'vitest';
import { CpuBackend, CpuStorage } from '../../src/backends/cpu/index.js';
import type { Conv2dParams, Storage } from '../../src/core/backend.js';
import type { DType, TypedArray } from '../../src/core/dtype.js';

describe('CPU storage and memory', () => {
  it('counts live buffers and bytes through alloc/upload/free; pooledBytes is 0', () => {
    const b = new CpuBackend();
    expect(b.name).toBe('cpu');
    expect(b.memory()).toEqual({ liveBuffers: 0, liveBytes: 0, pooledBytes: 0 });
    const a = b.alloc(10, 'float64'), c = b.upload(new Float32Array(3)), d = b.fill(5, 'int32', 7);
    expect(b.memory()).toEqual({ liveBuffers: 3, liveBytes: 80 + 12 + 20, pooledBytes: 0 });
    b.free(a); b.free(c); b.free(d);
    expect(b.memory()).toEqual({ liveBuffers: 0, liveBytes: 0, pooledBytes: 0 });
  });

  it('a double free and a use after free are clear errors', () => {
    const b = new CpuBackend();
    const s = b.upload(new Float64Array([1, 2]));
    b.free(s);
    expect(() => b.free(s)).toThrow(/cpu\.free: double free of a storage of 2 float64/);
    expect(() => b.unary('exp', s)).toThrow(/was already freed/);
    expect(() => b.readSync(s)).toThrow(/already freed/);
    expect(b.memory().liveBuffers).toBe(0);
  });

  it('alloc zero-fills, fill converts, upload copies, readSync is the live array, read a copy', async () => {
    const b = new CpuBackend();
    expect(Array.from(b.readSync(b.alloc(3, 'float32')))).toEqual([0, 0, 0]);
    expect(Array.from(b.readSync(b.fill(2, 'int32', 2.9)))).toEqual([2, 2]);
    const src = new Float64Array([1, 2]);
    const s = b.upload(src);
    src[0] = 99;
    expect(b.readSync(s)[0]).toBe(1);
    expect(b.readSync(s)).toBe(b.readSync(s));
    const copy = await b.read(s);
    copy[1] = -1;
    expect(b.readSync(s)[1]).toBe(2);
    expect(s.dtype).toBe('float64');
    expect(s.size).toBe(2);
  });

  it('rejects unsupported dtypes and storages of another backend', () => {
    const b = new CpuBackend(), other = new CpuBackend();
    expect(b.supportsDType('float64')).toBe(true);
    expect(() => b.alloc(2, 'bfloat16' as DType)).toThrow(/dtype 'bfloat16' is not supported by the cpu backend/);
    expect(() => b.upload(new Uint8Array(2) as unknown as Float32Array)).toThrow(/Float32Array, Float64Array or Int32Array/);
    const foreign = other.upload(new Float32Array(1));
    expect(() => b.unary('neg', foreign)).toThrow(/not on this 'cpu' backend/);
    expect(() => b.free(foreign)).toThrow(/cpu\.free/);
  });
});

describe('subclass hooks', () => {
  class HookedBackend extends CpuBackend {
    override readonly name = 'hooked';
    made: DType[] = [];
    released: number[] = [];
    convCalls = 0;
    protected override newArray(dtype: DType, size: number): TypedArray {
      this.made.push(dtype);
      // deliberately dirty memory: kernels must write every output element
      const a = super.newArray(dtype, size);
      a.fill(dtype === 'int32' ? -7 : NaN);
      return a;
    }
    protected override releaseArray(data: TypedArray): void {
      this.released.push(data.length);
    }
    override conv2d(x: Storage, w: Storage, p: Conv2dParams): Storage {
      this.convCalls++;
      const { x: X, w: W, out } = this.prepareConv2d(x, w, p);
      expect(X.length + W.length).toBeGreaterThan(0);
      return super.conv2d(x, w, p) ?? out;
    }
  }

  it('allocations go through newArray/releaseArray, errors carry the subclass name, overrides run', () => {
    const b = new HookedBackend();
    const x = b.upload(new Float32Array([1, 2, 3, 4]));
    const y = b.unary('square', x);
    expect(Array.from(b.readSync(y))).toEqual([1, 4, 9, 16]);
    expect(y).toBeInstanceOf(CpuStorage);
    b.free(y);
    expect(b.made).toEqual(['float32', 'float32']);
    expect(b.released).toEqual([4]);
    expect(() => b.reduce('sum', x, 3, 1, 1)).toThrow(/^hooked\.reduce\(sum\): x has 4 elements, expected 3/);
    const p: Conv2dParams = { n: 1, inC: 1, inH: 2, inW: 2, outC: 1, kH: 1, kW: 1, outH: 2, outW: 2, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, dilationH: 1, dilationW: 1, groups: 1 };
    const out = b.conv2d(x, b.upload(new Float32Array([2])), p);
    expect(Array.from(b.readSync(out))).toEqual([2, 4, 6, 8]);
    expect(b.convCalls).toBe(1);
  });

  it('every kernel overwrites its whole output even when new memory is dirty', () => {
    const b = new HookedBackend();
    const x = b.upload(new Float64Array([1, -2, 3, -4, 5, -6, 7, -8, 9]));
    const p = { n: 1, c: 1, inH: 3, inW: 3, outH: 2, outW: 2, kH: 2, kW: 2, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, countIncludePad: true };
    const { out, argmax } = b.maxPool2d(x, p);
    const grads = [
      b.maxPool2dBackward(b.upload(new Float64Array([1, 1, 1, 1])), argmax, p),
      b.avgPool2dBackward(b.upload(new Float64Array([1, 1, 1, 1])), p),
      b.scatterAdd(b.upload(new Float64Array([1])), b.upload(new Int32Array([0])), 1, 3, 1, 1),
      b.conv2dBackwardInput(b.upload(new Float64Array(4).fill(1)), b.upload(new Float64Array(4).fill(1)), { n: 1, inC: 1, inH: 3, inW: 3, outC: 1, kH: 2, kW: 2, outH: 2, outW: 2, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, dilationH: 1, dilationW: 1, groups: 1 }),
      b.reduce('sum', x, 1, 9, 1), b.reduce('argmax', x, 3, 3, 1), b.softmax(x, 3, 3, false),
      out, b.avgPool2d(x, p),
    ];
    for (const s of grads) expect(Array.from(b.readSync(s)).every((v) => Number.isFinite(v) && v !== -7)).toBe(true);
    expect(Array.from(b.readSync(grads[5]!))).toEqual([2, 1, 2]);
  });
});

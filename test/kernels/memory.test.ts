/**
 * Storage and memory on every device: alloc is zeros, fill converts to the dtype, upload/read
 * round-trip, 0-element storages through every kind of kernel, memory() follows alloc and free,
 * float64 where supported and refused by name elsewhere, and misuse (use after free, double free,
 * a storage of another backend) throws at once naming the kernel.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/index.js';
import type { DType } from '../../src/core/dtype.js';
import { DEVICES, f32Values, openDevice, randomArray, read } from './devices.js';

describe.each(DEVICES)('storage and memory on $name', (device) => {
  const get = openDevice(device);

  it('alloc is zeros, fill writes the value in the dtype, upload and read round-trip', async () => {
    const b = get();
    if (!b) return;
    expect([...await read(b, b.alloc(37, 'float32'))]).toEqual(new Array(37).fill(0));
    expect([...await read(b, b.alloc(5, 'int32'))]).toEqual([0, 0, 0, 0, 0]);
    expect([...await read(b, b.fill(70, 'float32', -2.5))]).toEqual(new Array(70).fill(-2.5));
    expect([...await read(b, b.fill(3, 'int32', 7.9))]).toEqual([7, 7, 7]);
    const f = Float32Array.from(f32Values(randomArray(1000, 1)));
    expect(await b.read(b.upload(f))).toEqual(f);
    const i = Int32Array.from(randomArray(33, 2, -1e9, 1e9), Math.trunc);
    expect(await b.read(b.upload(i))).toEqual(i);
    const copy = await b.read(b.upload(f));
    copy[0] = 99;
    expect((await b.read(b.upload(f)))[0]).toBe(f[0]);
  });

  it('0-element storages go through every kind of kernel', async () => {
    const b = get();
    if (!b) return;
    const e = b.upload(new Float32Array(0));
    const flat = (shape: number[], strides: number[]) => ({ storage: e, view: { shape, strides, offset: 0 } });
    expect((await b.read(e)).length).toBe(0);
    expect((await b.read(b.unary('exp', e))).length).toBe(0);
    expect((await b.read(b.binary('add', flat([0, 3], [3, 1]), flat([0, 3], [0, 0]), [0, 3]))).length).toBe(0);
    expect((await b.read(b.copy(flat([2, 0], [0, 1])))).length).toBe(0);
    expect((await b.read(b.cast(e, 'int32'))).length).toBe(0);
    expect((await b.read(b.fill(0, 'float32', 1))).length).toBe(0);
    expect((await b.read(b.accelerated.linfStep!(e, e, e, { size: 0, alpha: 0.1, eps: 0.1, lo: 0, hi: 1 }))).length).toBe(0);
  });

  it('memory(): live buffers and bytes follow alloc, upload and free', () => {
    const b = get();
    if (!b) return;
    const before = b.memory();
    const s = [b.alloc(100, 'float32'), b.alloc(3, 'int32'), b.upload(new Float32Array(1000))];
    const during = b.memory();
    expect(during.liveBuffers - before.liveBuffers).toBe(3);
    expect(during.liveBytes - before.liveBytes).toBe(4 * 1103);
    for (const x of s) b.free(x);
    expect(b.memory().liveBuffers).toBe(before.liveBuffers);
    expect(b.memory().liveBytes).toBe(before.liveBytes);
    expect(b.memory().pooledBytes).toBeGreaterThanOrEqual(0);
  });

  it('float64: supported by the CPU-resident devices, refused by name elsewhere', async () => {
    const b = get();
    if (!b) return;
    expect(b.supportsDType('float64')).toBe(device.float64);
    if (device.float64) {
      const s = b.upload(Float64Array.of(0.1, 1e300));
      const back = await b.read(s);
      expect(back).toBeInstanceOf(Float64Array);
      expect([...back]).toEqual([0.1, 1e300]);
      return;
    }
    expect(() => b.alloc(4, 'float64')).toThrow(new RegExp(`float64.*${device.kernelPrefix}|${device.kernelPrefix}.*float64`));
    expect(() => b.upload(new Float64Array(3))).toThrow(/float64/);
    expect(() => b.alloc(2, 'bfloat16' as DType)).toThrow(/bfloat16/);
  });

  it('misuse throws at once: use after free, double free, a storage of another backend', () => {
    const b = get();
    if (!b) return;
    const s = b.alloc(4, 'float32');
    b.free(s);
    expect(() => b.unary('neg', s)).toThrow(new RegExp(`${device.kernelPrefix}\\.unary\\(neg\\): x \\(4 float32\\) was already freed`));
    expect(() => b.free(s)).toThrow(/double free|already freed/);
    const other = new CpuBackend();
    expect(() => b.unary('neg', other.alloc(2, 'float32'))).toThrow(/lives on backend 'cpu'/);
  });
});

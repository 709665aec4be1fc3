/**
 * Allocations larger than a backend can hold are refused before they are attempted, naming the
 * kernel and the size (the cpu backend used to be OOM-killed by g.zeros([65536, 65536])).
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { CpuBackend } from '../../src/backends/cpu/index.js';
import { createWasmBackend } from '../../src/backends/create.js';
import { defaultMemoryLimit, hostMemoryBytes } from '../../src/core/memory-limit.js';

describe('cpu backend', () => {
  it('refuses g.zeros([65536, 65536]) (16 GiB) under a smaller limit, naming the kernel and the size', () => {
    const backend = new CpuBackend({ memoryLimit: 2 ** 30 });
    expect(() => g.zeros([65536, 65536], { backend })).toThrow(/cpu\.fill: refusing to allocate 4294967296 float32 elements \(16\.0 GiB\): only 1\.00 GiB of the cpu backend's 1\.00 GiB memory limit/);
  });

  it('refuses sizes beyond any machine under the default limit (half of this machine\'s memory)', () => {
    const backend = new CpuBackend();
    expect(backend.memoryLimit).toBe(defaultMemoryLimit());
    expect(hostMemoryBytes()).toBeGreaterThan(0);
    expect(() => g.zeros([2 ** 20, 2 ** 20], { backend })).toThrow(/cpu\.fill: refusing to allocate 1099511627776 float32 elements \(4\.00 TiB\)/);
    expect(() => g.zeros([1e10], { backend, dtype: 'float64' })).toThrow(/cpu\.fill: (refusing to|cannot) allocate 10000000000 float64 elements \(74\.5 GiB\)/);
  });

  it('counts live storages: the limit holds for the sum, and freeing makes room again', () => {
    const backend = new CpuBackend({ memoryLimit: 1 << 20 });
    const a = g.zeros([160_000], { backend }); // 640 KB
    expect(() => g.ones([160_000], { backend })).toThrow(/cpu\.fill: refusing to allocate 160000 float32 elements \(625\.0 KiB\): only 399\.0 KiB of/);
    expect(() => g.add(a, 1)).toThrow(/cpu\.binary|cpu\.unary|refusing/);
    a.dispose();
    const b = g.ones([160_000], { backend });
    expect(b.size).toBe(160_000);
    b.dispose();
  });

  it('an invalid limit is refused', () => {
    expect(() => new CpuBackend({ memoryLimit: 0 })).toThrow(/memoryLimit must be a positive number of bytes, got 0/);
    expect(() => new CpuBackend({ memoryLimit: NaN })).toThrow(/memoryLimit must be a positive number of bytes/);
  });
});

describe('wasm backend', () => {
  it('refuses a float32 tensor larger than the wasm heap before growing it', async () => {
    const backend = await createWasmBackend({ threads: 1, verbose: false });
    try {
      expect(() => g.zeros([2 ** 31], { backend })).toThrow(/wasm\.fill: refusing to allocate 2147483648 float32 elements \(8\.00 GiB\): only .* of the .*(wasm heap|memory limit)/);
      const ok = g.zeros([1000], { backend });
      expect(ok.size).toBe(1000);
      ok.dispose();
    } finally {
      backend.dispose();
    }
  });
});

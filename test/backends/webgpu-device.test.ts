/**
 * The WebGPU backend's device plumbing: memory accounting and buffer pooling (a freed buffer is
 * reused safely even when a recorded-but-unsubmitted kernel still reads it), batched submission,
 * device errors surfacing as thrown errors on the next call (never silent zeros, never a hang),
 * device loss, limits, misuse of storages, adapter information and the no-adapter message.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/index.js';
import { createWebGpuBackend } from '../../src/backends/webgpu/create.js';
import { noAdapterMessage } from '../../src/backends/webgpu/gpu-adapter.js';
import { sizeClass } from '../../src/backends/webgpu/gpu-buffers.js';
import type { WebGpuStorage } from '../../src/backends/webgpu/gpu-storage.js';
import { createTestBackend, expectClose, randomF32 } from './webgpu-helpers.js';

const gpu = await createTestBackend();
afterAll(() => gpu?.dispose());

describe('webgpu backend without a device', () => {
  it('size classes: powers of two and the halves between, at least 16 bytes', () => {
    expect([1, 16, 17, 24, 25, 33, 48, 49, 100, 1000].map((b) => sizeClass(b, 1 << 30))).toEqual([16, 16, 24, 24, 32, 48, 48, 64, 128, 1024]);
    expect(sizeClass(700, 512)).toBe(700);
  });

  it('the no-adapter error says what to install on Linux', () => {
    const m = noAdapterMessage(true);
    for (const s of ['libvulkan1', 'chromium', 'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json', 'XDG_RUNTIME_DIR']) expect(m).toContain(s);
    expect(noAdapterMessage(false)).toMatch(/browser/);
  });

  it('createWebGpuBackend rejects with that message when the platform offers no adapter', async () => {
    const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => null } }, configurable: true });
    try {
      await expect(createWebGpuBackend()).rejects.toThrow(/libvulkan1/);
    } finally {
      if (had) Object.defineProperty(globalThis, 'navigator', had);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });
});

describe.skipIf(!gpu)('webgpu device plumbing', () => {
  const b = gpu!;

  it('reports the adapter and its limits', () => {
    const info = b.adapterInfo();
    // the subgroup sizes where the adapter reports them (Dawn does)
    const keys = Object.keys(info).filter((k) => !k.startsWith('subgroup'));
    expect(keys.sort()).toEqual(['architecture', 'description', 'device', 'isSoftware', 'vendor']);
    if (info.subgroupMinSize !== undefined) expect(info.subgroupMinSize).toBeLessThanOrEqual(info.subgroupMaxSize!);
    if (/swiftshader/i.test(info.architecture + info.description)) expect(info.isSoftware).toBe(true);
    expect(b.limits.maxComputeWorkgroupsPerDimension).toBeGreaterThanOrEqual(65535);
    expect(b.name).toBe('webgpu');
    expect(b.readSync(b.alloc(1, 'float32'))).toBeUndefined();
  });

  it('memory(): live buffers and bytes follow alloc/free; freed buffers go to the pool and come back', async () => {
    const before = b.memory();
    const s = [b.alloc(100, 'float32'), b.alloc(3, 'int32'), b.upload(randomF32(1000, 1))];
    const during = b.memory();
    expect(during.liveBuffers - before.liveBuffers).toBe(3);
    expect(during.liveBytes - before.liveBytes).toBe(4 * 1103);
    for (const x of s) b.free(x);
    const after = b.memory();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.pooledBytes).toBeGreaterThan(before.pooledBytes);
    // a training-like loop: the pool stops growing once warm
    const w = b.upload(randomF32(64 * 32, 2));
    const step = () => {
      const x = b.upload(randomF32(8 * 64, 3));
      const y = b.matmul(x, w, { batch: 1, m: 8, n: 32, k: 64, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
      const z = b.unary('relu', y);
      const l = b.reduce('sum', z, 1, 256, 1);
      for (const t of [x, y, z]) b.free(t);
      return l;
    };
    const settled = async () => { const l = step(); await b.read(l); b.free(l); return b.memory(); };
    await settled();
    const warm = await settled();
    for (let i = 0; i < 20; i++) b.free(step());
    const later = await settled();
    expect(later).toEqual(warm);
    b.free(w);
  });

  it('a freed input can be reused by an upload while the kernel reading it is still unsubmitted', async () => {
    const a = randomF32(256, 4), c = randomF32(256, 5);
    const x = b.upload(a);
    const xBuffer = (x as WebGpuStorage).pooled;
    const y = b.unary('neg', x); // recorded, not submitted
    b.free(x);
    const z = b.upload(c); // same size class: takes x's buffer; writeBuffer must not overtake the kernel
    expect((z as WebGpuStorage).pooled).toBe(xBuffer);
    expect([...await b.read(y)]).toEqual([...a].map((v) => -v));
    expect([...await b.read(z)]).toEqual([...c]);
    // and an output buffer recycled as the next kernel's output
    const p = b.upload(a);
    const q = b.unary('exp', p);
    b.free(p);
    const r = b.unary('abs', q);
    expectClose('exp then abs', await b.read(r), [...a].map((v) => Math.exp(v)), 4e-6, 0);
  });

  it('submits in batches of dispatchesPerSubmit and stays correct across batch boundaries', async () => {
    const small = (await createTestBackend({ dispatchesPerSubmit: 3 }))!;
    const x = small.upload(Float32Array.from([1, 2, 3]));
    let y = x;
    for (let i = 0; i < 20; i++) y = small.unary('affine', y, [1, 1]);
    expect([...await small.read(y)]).toEqual([21, 22, 23]);
    expect(small.stats().submits).toBeGreaterThanOrEqual(6);
    small.dispose();
  });

  it('misuse throws at once: use after free, double free, foreign storages, oversized tensors', () => {
    const s = b.alloc(4, 'float32');
    b.free(s);
    expect(() => b.unary('neg', s)).toThrow(/webgpu\.unary\(neg\): x \(4 float32\) was already freed/);
    expect(() => b.free(s)).toThrow(/used after free|already freed/);
    const cpu = new CpuBackend();
    expect(() => b.unary('neg', cpu.alloc(2, 'float32'))).toThrow(/lives on backend 'cpu'/);
    const tooMany = b.limits.maxStorageBufferBindingSize / 4 + 1;
    expect(() => b.alloc(tooMany, 'float32')).toThrow(/exceeds this adapter's maxStorageBufferBindingSize/);
  });

  it('a GPU validation error surfaces as a thrown error (read rejects, later calls throw)', async () => {
    const bad = (await createTestBackend())!;
    const x = bad.upload(randomF32(16, 6));
    (x as WebGpuStorage).pooled.buffer.destroy(); // the next submit that uses it is invalid
    const y = bad.unary('exp', x);
    await expect(bad.read(y)).rejects.toThrow(/webgpu\.read: .*(validation|destroyed)/i);
    expect(() => bad.unary('exp', y)).toThrow(/an earlier GPU command failed/);
    bad.dispose();
  });

  it('device loss surfaces on the next call and a pending read does not hang', async () => {
    const lost = (await createTestBackend())!;
    const y = lost.unary('exp', lost.upload(randomF32(1 << 16, 7)));
    const pending = lost.read(y);
    lost.device.destroy();
    await expect(pending).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    expect(() => lost.alloc(4, 'float32')).toThrow(/device was lost/);
  });
});

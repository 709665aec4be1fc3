/**
 * The WebAssembly backend's machinery: the assembler's encodings and checks, the heap allocator,
 * the thread pool's error path, relaxed SIMD on Node, a memory without sharing, and a child
 * process that must exit with the pool still running.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { MatmulParams } from '../../src/core/backend.js';
import { ByteWriter, ModuleBuilder } from '../../src/backends/wasm/assembler.js';
import { WasmKernels } from '../../src/backends/wasm/calls/kernel-calls.js';
import { probeFeatures } from '../../src/backends/wasm/features.js';
import { HEAP_BASE, WasmHeap, sizeClass } from '../../src/backends/wasm/heap.js';
import { buildKernelModule, defaultShape } from '../../src/backends/wasm/module.js';
import { splitRange } from '../../src/backends/wasm/partition.js';
import { ThreadPool } from '../../src/backends/wasm/thread-pool.js';
import { naiveMatmul } from '../helpers/reference-kernels.js';
import { maxAbsDiff, random, randomF32 } from './wasm-helpers.js';

const features = probeFeatures();

describe('assembler', () => {
  it('encodes LEB128 as the spec examples', () => {
    expect([...new ByteWriter().u32(0).toBytes()]).toEqual([0]);
    expect([...new ByteWriter().u32(624485).toBytes()]).toEqual([0xe5, 0x8e, 0x26]);
    expect([...new ByteWriter().u32(0xffffffff).toBytes()]).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect([...new ByteWriter().s32(-123456).toBytes()]).toEqual([0xc0, 0xbb, 0x78]);
    expect([...new ByteWriter().s32(63).toBytes()]).toEqual([0x3f]);
    expect([...new ByteWriter().s32(64).toBytes()]).toEqual([0xc0, 0x00]);
    expect([...new ByteWriter().s32(-64).toBytes()]).toEqual([0x40]);
    expect([...new ByteWriter().s32(-65).toBytes()]).toEqual([0xbf, 0x7f]);
    expect(() => new ByteWriter().u32(-1)).toThrow(/u32 out of range/);
  });

  it('a module built without SIMD refuses v128 locals and SIMD instructions; the scalar kernel module has none', () => {
    const m = new ModuleBuilder({ simd: false });
    expect(() => m.func('a', [], [], (f) => { f.local('v128'); })).toThrow(/v128 local in a module built without SIMD/);
    expect(() => m.func('b', [], [], (f) => { f.f32(1).op('f32x4.splat').op('drop'); })).toThrow(/SIMD instruction in a module built without SIMD/);
    expect(() => buildKernelModule({ simd: false, relaxedMadd: false, sharedMemory: true, initialPages: 1, maximumPages: 64, ...defaultShape(false) })).not.toThrow();
  });

  it('builds a module with memory, loops, calls and (when available) SIMD that runs', async () => {
    const m = new ModuleBuilder();
    m.importMemory({ module: 'env', name: 'memory', initial: 1, maximum: 1, shared: false });
    const square = m.func('square', ['i32'], ['i32'], (f, x) => { f.get(x!).get(x!).op('i32.mul'); }, false);
    // sum of squares 0..n-1 through a loop and a call
    m.func('sumSquares', ['i32'], ['i32'], (f, n) => {
      const i = f.local('i32'), s = f.local('i32');
      f.block((exit) => f.loop((top) => {
        f.get(i).get(n!).op('i32.ge_s').brIf(exit);
        f.get(s).get(i).call(square).op('i32.add').set(s);
        f.get(i).i32(1).op('i32.add').set(i);
        f.br(top);
      }));
      f.get(s);
    });
    if (features.simd) {
      // out[0..3] = in[0..3] * 2 + splat(in[4])
      m.func('axpy4', ['i32'], [], (f, p) => {
        f.get(p!).get(p!).mem('v128.load').f32x4Const(2).op('f32x4.mul').get(p!).mem('v128.load32_splat', 16)
          .op('f32x4.add').mem('v128.store', 32);
      });
    }
    const bytes = m.build();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
    const ex = instance.exports as Record<string, (x: number) => number>;
    expect(ex.sumSquares!(10)).toBe(285);
    if (features.simd) {
      const f32 = new Float32Array(memory.buffer);
      f32.set([1, 2, 3, 4, 0.5]);
      ex.axpy4!(0);
      expect([...f32.subarray(8, 12)]).toEqual([2.5, 4.5, 6.5, 8.5]);
    }
  });

  it('rejects unbalanced or misused builders with a message', () => {
    const m = new ModuleBuilder();
    m.declare('f', [], []);
    expect(() => m.build()).toThrow(/declared but never defined/);
    expect(() => m.declare('f', [], [])).toThrow(/declared twice/);
  });
});

describe('wasm heap', () => {
  it('reuses freed blocks by size class and returns the top to the bump pointer', () => {
    const heap = new WasmHeap({ shared: false, initialPages: 2, maximumPages: 64 });
    const a = heap.alloc(100), b = heap.alloc(100), c = heap.alloc(5000);
    expect(a).toBe(HEAP_BASE);
    expect(a % 64).toBe(0);
    expect(b - a).toBe(sizeClass(100));
    heap.free(a);
    expect(heap.alloc(70)).toBe(a);
    heap.free(b);
    heap.free(c);
    // c was on top; b below it was free too, so both went back to the bump pointer
    expect(heap.stats().freeBytes).toBe(0);
    expect(heap.alloc(128)).toBe(b);
    expect(() => heap.free(12345)).toThrow(/unknown block/);
    expect(() => heap.alloc(64 * 65536)).toThrow(/cannot allocate/);
  });

  it('when memory runs out, merges free blocks of other size classes instead of failing', () => {
    const heap = new WasmHeap({ shared: false, initialPages: 2, maximumPages: 32 }); // 2 MiB, 64 KiB reserved
    // fill the heap with 64 KiB blocks, then free all but a few: plenty of free bytes, none in a 1 MiB class
    const blocks = Array.from({ length: 31 }, () => heap.alloc(65536));
    const keep = new Set([0, 30]);
    blocks.forEach((b, i) => { if (!keep.has(i)) heap.free(b); });
    expect(heap.stats().freeBytes).toBe(29 * 65536);
    const big = heap.alloc(1 << 20);
    expect(big).toBe(blocks[1]);
    // the remainder of the merged run is still free and usable
    expect(heap.stats().freeBytes).toBe(29 * 65536 - (1 << 20));
    const rest = heap.alloc(29 * 65536 - (1 << 20));
    expect(rest).toBe(blocks[1]! + (1 << 20));
    expect(() => heap.alloc(65536)).toThrow(/cannot allocate 65536 bytes/);
    heap.free(big); heap.free(rest);
    expect(heap.alloc(1 << 20)).toBe(blocks[1]);
  });

  it.skipIf(!features.sharedMemory)('keeps earlier views valid when a shared memory grows', () => {
    const heap = new WasmHeap({ shared: true, initialPages: 2, maximumPages: 256 });
    const p = heap.alloc(16);
    const view = heap.f32(p, 4);
    view.set([1, 2, 3, 4]);
    const big = heap.alloc(4 * 1024 * 1024);
    expect(heap.stats().memoryBytes).toBeGreaterThan(4 * 1024 * 1024);
    expect([...view]).toEqual([1, 2, 3, 4]);
    expect(heap.owns(view)).toBe(true);
    expect(heap.owns(heap.f32(big, 4))).toBe(true);
    expect(heap.owns(new Float32Array(4))).toBe(false);
  });

  it('size classes waste at most 1/8 above 64 KiB', () => {
    for (const b of [1, 64, 65, 65536, 65537, 100000, 3_000_001]) {
      const s = sizeClass(b);
      expect(s).toBeGreaterThanOrEqual(b);
      expect(s % 64).toBe(0);
      if (b > 65536) expect(s / b).toBeLessThanOrEqual(1.125);
    }
    expect(splitRange(10, 3, 4)).toEqual([[0, 4], [4, 8], [8, 10]]);
    expect(splitRange(3, 4)).toEqual([[0, 1], [1, 2], [2, 3]]);
  });
});

describe.skipIf(!features.simd)('relaxed SIMD', () => {
  it('is used on Node by default (turning on V8\'s flag where it is experimental) and can be refused', async () => {
    const on = await WasmKernels.create({ threads: 1 });
    expect(on.relaxedMadd).toBe(true);
    on.dispose();
    const off = await WasmKernels.create({ threads: 1, relaxedMadd: false });
    expect(off.relaxedMadd).toBe(false);
    off.dispose();
  });
});

describe('wasm kernels without shared memory', () => {
  it('copies results out and still computes correctly after the memory grows', async () => {
    const K = await WasmKernels.create({ threads: 2, sharedMemory: false, quiet: true });
    expect(K.threads).toBe(1);
    expect(K.resident).toBe(false);
    const rng = random(11);
    const m = 300, n = 280, k = 270;
    const a = randomF32(m * k, rng), b = randomF32(k * n, rng);
    const p: MatmulParams = { batch: 1, m, n, k, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 };
    const out = K.matmul(a, b, p);
    expect(K.heap.owns(out)).toBe(false);
    expect(maxAbsDiff(out, naiveMatmul(a, b, p))).toBeLessThan(1e-3);
    expect(K.heap.stats().liveBytes).toBeLessThan(8 * 1024 * 1024);
    K.dispose();
  });
});

describe.skipIf(!features.sharedMemory)('thread pool', () => {
  it('reports a trap in a share and stays usable', async () => {
    // driver: p == 1 traps; otherwise stores p at address p
    const m = new ModuleBuilder();
    m.importMemory({ module: 'env', name: 'memory', initial: 2, maximum: 2, shared: true });
    m.func('job', ['i32'], [], (f, p) => {
      f.get(p!).i32(1).op('i32.eq').if(() => { f.op('unreachable'); });
      f.get(p!).get(p!).mem('i32.store');
    });
    const bytes = m.build();
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
    const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
    const pool = await ThreadPool.create({
      threads: 2, memory, moduleBytes: bytes, drivers: ['job'], controlBase: 0, mainExports: instance.exports as Record<string, unknown>,
    });
    try {
      // share 1 traps, on the worker or (when the caller got to it first) on the caller
      expect(() => pool.run(0, [4096, 1])).toThrow(/unreachable/);
      pool.run(0, [4096, 4104]);
      const i32 = new Int32Array(memory.buffer);
      expect(i32[4096 / 4]).toBe(4096);
      expect(i32[4104 / 4]).toBe(4104);
      expect(() => pool.run(0, [1, 4100])).toThrow(/unreachable/);
    } finally {
      pool.dispose();
    }
    expect(() => pool.run(0, [4096])).toThrow(/after dispose/);
  });
});

describe.skipIf(!features.sharedMemory)('process exit', () => {
  /** Transpiles the backends' sources and core to plain ESM so a fresh `node` can import them. */
  function transpileSources(): string {
    const root = fileURLToPath(new URL('../../src', import.meta.url));
    const out = mkdtempSync(join(tmpdir(), 'gmgrad-wasm-exit-'));
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) { walk(path); continue; }
        if (!name.endsWith('.ts') || name.endsWith('.d.ts')) continue;
        const js = ts.transpileModule(readFileSync(path, 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
        }).outputText;
        const dest = join(out, relative(root, path)).replace(/\.ts$/, '.js');
        mkdirSync(dirname(dest), { recursive: true });
        writeFileSync(dest, js);
      }
    };
    for (const dir of ['core', 'backends']) walk(join(root, dir));
    writeFileSync(join(out, 'package.json'), '{"type":"module"}');
    return out;
  }

  it('exits on its own with live worker threads, and after dispose()', () => {
    const dir = transpileSources();
    try {
      for (const dispose of [false, true]) {
        const script = join(dir, `exit-${dispose}.mjs`);
        writeFileSync(script, `
          import { createWasmBackend } from './backends/create.js';
          const backend = await createWasmBackend({ threads: 2 });
          const a = backend.upload(new Float32Array(128 * 128).fill(1));
          const c = backend.matmul(a, a, { batch: 1, m: 128, n: 128, k: 128, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
          const out = await backend.read(c);
          console.log('threads', backend.kernels.threads, 'value', out[0]);
          ${dispose ? 'backend.dispose();' : ''}
        `);
        const t0 = Date.now();
        const r = spawnSync(process.execPath, [script], { timeout: 15_000, encoding: 'utf8' });
        const elapsed = Date.now() - t0;
        expect(r.stderr, 'child stderr').toBe('');
        expect(r.stdout.trim()).toBe('threads 2 value 128');
        expect(r.status).toBe(0);
        expect(elapsed).toBeLessThan(5000);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The WebAssembly kernels against naive float64 references: GEMM on shapes that do not divide the
 * register or cache blocks, transposed and batch-strided operands; convolutions with stride,
 * padding, dilation and groups (both input-gradient algorithms); each on SIMD and the scalar
 * fallback, on one thread and on two. Plus the assembler's encodings, the heap allocator, the
 * thread pool's error path, and a child process that must exit with the pool still running. The
 * fused GM loss and softmax against the float64 reference backend, and bit for bit across thread
 * counts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AdamParams, Backend, BinaryOp, Conv2dParams, GMLikelihood, GMLossParams, MatmulParams, Pool2dParams, SgdParams, Storage, StridedView, UnaryOp,
} from '../../src/core/backend.js';
import type { TypedArray } from '../../src/core/dtype.js';
import { CpuBackend } from '../../src/backends/cpu/index.js';
import { ByteWriter, ModuleBuilder } from '../../src/backends/wasm/assembler.js';
import { buildKernelModule, defaultShape } from '../../src/backends/wasm/module.js';
import { WasmBackend, createWasmBackend } from '../../src/backends/wasm/backend.js';
import { probeFeatures } from '../../src/backends/wasm/features.js';
import { HEAP_BASE, WasmHeap, sizeClass } from '../../src/backends/wasm/heap.js';
import { WasmKernels, type WasmKernelOptions } from '../../src/backends/wasm/kernels.js';
import { splitRange } from '../../src/backends/wasm/partition.js';
import { ThreadPool } from '../../src/backends/wasm/thread-pool.js';

import { rng } from '../helpers/seeded-rng.js';
import { naiveConv, naiveMatmul } from '../helpers/reference-kernels.js';

const features = probeFeatures();

/** uniform in [−0.5, 0.5), seeded */
function random(seed: number): () => number {
  const r = rng(seed);
  return () => r() - 0.5;
}

function randomArray(n: number, rng: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng();
  return a;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function convParams(q: Partial<Conv2dParams> & { padBottom?: number; padRight?: number }): Conv2dParams {
  const p = {
    n: 2, inC: 3, inH: 7, inW: 6, outC: 4, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1,
    dilationH: 1, dilationW: 1, groups: 1, outH: 0, outW: 0, ...q,
  };
  const pb = q.padBottom ?? p.padTop, pr = q.padRight ?? p.padLeft;
  p.outH = Math.floor((p.inH + p.padTop + pb - p.dilationH * (p.kH - 1) - 1) / p.strideH) + 1;
  p.outW = Math.floor((p.inW + p.padLeft + pr - p.dilationW * (p.kW - 1) - 1) / p.strideW) + 1;
  return p;
}

const CONFIGS: Array<{ name: string; opts: WasmKernelOptions; needsSimd: boolean }> = [
  { name: 'SIMD, 1 thread', opts: { threads: 1 }, needsSimd: true },
  { name: 'SIMD, 2 threads', opts: { threads: 2, parallelThreshold: 0 }, needsSimd: true },
  // relaxed madd is on by default where the engine has it (Node 20: behind a V8 flag we turn on)
  { name: 'SIMD mul + add without relaxed madd, 2 threads', opts: { threads: 2, relaxedMadd: false, parallelThreshold: 0 }, needsSimd: true },
  { name: 'scalar fallback, 1 thread', opts: { threads: 1, simd: false }, needsSimd: false },
  { name: 'scalar fallback, 2 threads', opts: { threads: 2, simd: false, parallelThreshold: 0 }, needsSimd: false },
];

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

for (const cfg of CONFIGS) {
  describe.skipIf(cfg.needsSimd && !features.simd)(`wasm kernels, ${cfg.name}`, () => {
    let K: WasmKernels;
    beforeAll(async () => { K = await WasmKernels.create({ quiet: true, ...cfg.opts }); });
    afterAll(() => K?.dispose());

    it('runs with the requested configuration', () => {
      expect(K.simd).toBe(cfg.opts.simd ?? true);
      expect(K.threads).toBe(features.sharedMemory ? cfg.opts.threads : 1);
    });

    const gemmCases: Array<[number, number, number]> = [[1, 1, 1], [7, 13, 5], [33, 65, 17], [4, 8, 3], [130, 70, 300], [5, 1030, 9], [200, 9, 20]];
    for (const [m, n, k] of gemmCases) {
      it(`matmul ${m}×${k} · ${k}×${n} with every transpose`, () => {
        const rng = random(m * 1000 + n * 10 + k);
        const a = randomArray(m * k, rng), b = randomArray(k * n, rng);
        for (const transA of [false, true]) for (const transB of [false, true]) {
          const p: MatmulParams = { batch: 1, m, n, k, transA, transB, aBatchStride: 0, bBatchStride: 0 };
          const out = K.matmul(a, b, p);
          expect(maxAbsDiff(out, naiveMatmul(a, b, p)), `transA=${transA} transB=${transB}`).toBeLessThan(1e-5 * k + 1e-6);
          K.release(out);
        }
      });
    }

    it('matmul with batch strides, including broadcast (0) operands', () => {
      const rng = random(7);
      const m = 7, n = 13, k = 5, batch = 3;
      const cases: Array<Partial<MatmulParams>> = [
        { aBatchStride: m * k, bBatchStride: k * n },
        { aBatchStride: 0, bBatchStride: k * n },
        { aBatchStride: m * k, bBatchStride: 0 },
        { aBatchStride: m * k, bBatchStride: 0, transA: true },
        { aBatchStride: m * k + 3, bBatchStride: k * n + 1, transB: true },
      ];
      for (const c of cases) {
        const p: MatmulParams = { batch, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0, ...c };
        const a = randomArray(Math.max(1, (batch - 1) * p.aBatchStride + m * k), rng);
        const b = randomArray(Math.max(1, (batch - 1) * p.bBatchStride + k * n), rng);
        const out = K.matmul(a, b, p);
        expect(maxAbsDiff(out, naiveMatmul(a, b, p)), JSON.stringify(c)).toBeLessThan(1e-5);
        K.release(out);
      }
      // k = 0 is a zero matrix; empty outputs are empty
      const z = K.matmul(new Float32Array(0), new Float32Array(0), { batch: 2, m: 3, n: 4, k: 0, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
      expect([...z]).toEqual(new Array(24).fill(0));
      expect(K.matmul(new Float32Array(0), new Float32Array(5), { batch: 1, m: 0, n: 5, k: 1, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }).length).toBe(0);
    });

    const convCases: Array<Partial<Conv2dParams> & { padBottom?: number; padRight?: number }> = [
      {},
      { n: 1 },
      { n: 3, strideH: 2, strideW: 2 },
      { strideH: 2, strideW: 3, padTop: 0, padLeft: 2, inH: 9, inW: 11 },
      { dilationH: 2, dilationW: 3, padTop: 2, padLeft: 3, inH: 10, inW: 12 },
      { groups: 2, inC: 4, outC: 6 },
      { groups: 4, inC: 4, outC: 8, strideH: 2, strideW: 2, n: 3 },
      { kH: 1, kW: 1, padTop: 0, padLeft: 0, inC: 20, outC: 17, inH: 5, inW: 5 },
      { kH: 5, kW: 5, padTop: 2, padLeft: 2, inC: 1, outC: 9, inH: 14, inW: 13 },
      { kH: 3, kW: 3, inC: 40, outC: 33, inH: 9, inW: 10 },
      { kH: 3, kW: 3, inC: 300, outC: 5, inH: 4, inW: 4 },
      { kH: 2, kW: 3, padTop: 0, padLeft: 0, inC: 2, outC: 3, inH: 40, inW: 20, n: 1 },
      { kH: 3, kW: 3, padTop: 3, padLeft: 4, inC: 2, outC: 3, inH: 5, inW: 5 },
      { padTop: 0, padLeft: 1, padBottom: 2, padRight: 0, strideH: 2, inH: 8, inW: 9 },
    ];
    it('conv2d with empty windows or empty batches gives zeros of the right size', () => {
      const p = convParams({ inC: 0, outC: 3 });
      const y = K.conv2d(new Float32Array(0), new Float32Array(0), p);
      expect([...y]).toEqual(new Array(p.n * 3 * p.outH * p.outW).fill(0));
      const q = convParams({ n: 0 });
      expect(K.conv2d(new Float32Array(0), new Float32Array(4 * 3 * 9), q).length).toBe(0);
      const dw = K.conv2dBackwardWeight(new Float32Array(0), new Float32Array(0), q);
      expect([...dw]).toEqual(new Array(4 * 3 * 9).fill(0));
      expect(() => K.conv2d(new Float32Array(3), new Float32Array(4 * 3 * 9), convParams({}))).toThrow(/conv2d: x has 3 elements, needs/);
      for (const a of [y, dw]) K.release(a);
    });

    describe('pooling and elementwise kernels equal the reference backend bit for bit', () => {
      const cpu = new CpuBackend();
      let wasm: WasmBackend;
      beforeAll(() => { wasm = new WasmBackend(K); });

      /** values with NaN, ±0, ±Infinity and ties mixed in */
      function specialValues(n: number, seed: number): Float32Array {
        const rng = random(seed), a = randomArray(n, rng);
        const specials = [NaN, 0, -0, Infinity, -Infinity, 0.5, 0.5];
        for (let i = 0; i < n; i += 7 + Math.floor((rng() + 0.5) * 50)) a[i] = specials[i % specials.length]!;
        return a;
      }
      const same = async (what: string, x: Storage, y: Storage) => {
        const a = await x.backend.read(x), b = await y.backend.read(y);
        expect(a.length, what).toBe(b.length);
        for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`${what}[${i}]: ${a[i]} vs reference ${b[i]}`);
      };

      it('unary ops, including the remainder after the last full vector', async () => {
        const data = specialValues(4099, 1);
        const x = wasm.upload(data), xr = cpu.upload(data);
        const cases: Array<[UnaryOp, number[]]> = [['relu', []], ['sign', []], ['neg', []], ['abs', []], ['square', []], ['leakyRelu', [0.25]], ['clamp', [-0.25, 0.375]]];
        for (const [op, params] of cases) {
          const y = wasm.unary(op, x, params), yr = cpu.unary(op, xr, params);
          await same(op, y, yr);
          wasm.free(y);
        }
        wasm.free(x);
      });

      it('affine (float64 scale and shift, rounded once) and strided copies', async () => {
        const data = specialValues(4099, 4);
        const x = wasm.upload(data), xr = cpu.upload(data);
        for (const [scale, shift] of [[1 / 3, 0.1], [-2.5, 0], [1e-30, 1e30], [1 / 65536, -1 / 7]] as const) {
          await same(`affine(${scale}, ${shift})`, wasm.unary('affine', x, [scale, shift]), cpu.unary('affine', xr, [scale, shift]));
        }
        const shape = [3, 5, 17, 19];
        const size = shape.reduce((p, d) => p * d, 1);
        const a = specialValues(size, 5);
        const A = wasm.upload(a), Ar = cpu.upload(a);
        const views: StridedView[] = [
          { shape, strides: [5 * 17 * 19, 17 * 19, 19, 1], offset: 0 },
          { shape, strides: [0, 1, 0, 0], offset: 3 },
          { shape, strides: [5 * 17 * 19, 17 * 19, 1, 17], offset: 0 },
          { shape, strides: [5 * 17 * 19, 17 * 19, 19, -1], offset: 18 },
          { shape, strides: [1, 3, 15, 15 * 17], offset: 0 },
        ];
        for (const view of views) await same(`copy ${JSON.stringify(view.strides)}`, wasm.copy({ storage: A, view }), cpu.copy({ storage: Ar, view }));
      });

      it('binary ops over same-shape, broadcast, strided and unmergeable views', async () => {
        const shape = [3, 5, 17, 19];
        const size = shape.reduce((p, d) => p * d, 1);
        const a = specialValues(size, 2), b = specialValues(size, 3);
        const A = wasm.upload(a), B = wasm.upload(b), Ar = cpu.upload(a), Br = cpu.upload(b);
        const contiguousView = { shape, strides: [5 * 17 * 19, 17 * 19, 19, 1], offset: 0 };
        const views: Array<[string, StridedView, StridedView]> = [
          ['same shape', contiguousView, contiguousView],
          ['per-channel bias', contiguousView, { shape, strides: [0, 1, 0, 0], offset: 3 }],
          ['scalar on the left', { shape, strides: [0, 0, 0, 0], offset: 7 }, contiguousView],
          ['row broadcast', contiguousView, { shape, strides: [0, 0, 0, 1], offset: 0 }],
          ['transposed last axes (strided rows)', contiguousView, { shape, strides: [5 * 17 * 19, 17 * 19, 1, 17], offset: 0 }],
          ['flipped rows', contiguousView, { shape, strides: [5 * 17 * 19, 17 * 19, 19, -1], offset: 18 }],
          ['four unmergeable dimensions', { shape, strides: [1, 3, 15, 15 * 17], offset: 0 }, { shape, strides: [0, 1, 0, 5], offset: 0 }],
        ];
        const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];
        for (const [name, av, bv] of views) {
          for (const op of ops) {
            const y = wasm.binary(op, { storage: A, view: av }, { storage: B, view: bv }, shape);
            await same(`${op} ${name}`, y, cpu.binary(op, { storage: Ar, view: av }, { storage: Br, view: bv }, shape));
            wasm.free(y);
          }
        }
        wasm.free(A); wasm.free(B);
      });

      it('reductions over [outer, red, inner]: max and min exact, sums within float64-accumulation rounding', async () => {
        const cases: Array<[number, number, number]> = [
          [7, 1000, 1], [1, 5003, 1], [3, 50, 37], [1, 64, 4099], [1000, 9, 5], [2, 4097, 2], [2, 0, 4100],
        ];
        for (const [outer, red, inner] of cases) {
          const data = specialValues(outer * red * inner, outer + red + inner);
          const finite = Float32Array.from(data, (v) => (Number.isFinite(v) ? v : 0.25));
          for (const op of ['sum', 'max', 'min'] as const) {
            if (red === 0 && op !== 'sum') continue;
            const input = op === 'sum' ? finite : data;
            const y = await wasm.read(wasm.reduce(op, wasm.upload(input), outer, red, inner));
            const yr = await cpu.read(cpu.reduce(op, cpu.upload(input), outer, red, inner));
            const what = `${op} [${outer}, ${red}, ${inner}]`;
            expect(y.length, what).toBe(yr.length);
            for (let i = 0; i < y.length; i++) {
              const a = y[i]!, b = yr[i]!;
              // ±0 ties may resolve to either zero (wasm max/min order −0 < +0)
              const ok = op === 'sum' ? Math.abs(a - b) <= 2e-7 * Math.max(1, Math.abs(b)) * Math.sqrt(red) : a === b || (Number.isNaN(a) && Number.isNaN(b));
              if (!ok) expect.fail(`${what}[${i}]: ${a} vs reference ${b}`);
            }
          }
        }
      });

      it('batch norm forward and backward against the reference (float64 arithmetic; sums in another order)', async () => {
        const close = async (what: string, x: Storage, y: Storage) => {
          const a = await x.backend.read(x), b = await y.backend.read(y);
          const scale = Math.max(1e-30, ...Array.from(b, Math.abs));
          for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i]! - b[i]!) <= 2e-6 * scale)) expect.fail(`${what}[${i}]: ${a[i]} vs reference ${b[i]}`);
        };
        const r = random(21);
        for (const [outer, c, inner, affine] of [[3, 5, 37, true], [16, 8, 64, false], [2, 3, 1, true], [64, 2, 33, true]] as const) {
          const p = { outer, c, inner, eps: 1e-5 };
          const n = outer * c * inner;
          const x = Float32Array.from(randomArray(n, r), (v) => 3 * v + 1), dy = randomArray(n, r);
          const w = affine ? randomArray(c, r) : null, b = affine ? randomArray(c, r) : null;
          const up = (be: Backend, a: Float32Array | null) => (a ? be.upload(a) : null);
          const f = wasm.batchNormForward(wasm.upload(x), up(wasm, w), up(wasm, b), p);
          const fr = cpu.batchNormForward(cpu.upload(x), up(cpu, w), up(cpu, b), p);
          const what = JSON.stringify(p);
          await close(`out ${what}`, f.out, fr.out); await close(`mean ${what}`, f.mean, fr.mean); await close(`variance ${what}`, f.variance, fr.variance);
          const g = wasm.batchNormBackward(wasm.upload(dy), wasm.upload(x), f.mean, f.variance, up(wasm, w), p);
          const gr = cpu.batchNormBackward(cpu.upload(dy), cpu.upload(x), fr.mean, fr.variance, up(cpu, w), p);
          await close(`dx ${what}`, g.dx, gr.dx); await close(`dWeight ${what}`, g.dWeight, gr.dWeight); await close(`dBias ${what}`, g.dBias, gr.dBias);
        }
      });

      it('SGD and Adam updates give the reference bits (float64 arithmetic, state rounded as stored)', async () => {
        const n = 5003, r = random(11);
        const init = () => ({ w: randomArray(n, r), g: randomArray(n, r), b: randomArray(n, r), v: Float32Array.from(randomArray(n, r), Math.abs) });
        const sgdCases: SgdParams[] = [
          { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, firstStep: false },
          { lr: 0.01, momentum: 0.9, dampening: 0, weightDecay: 5e-4, nesterov: false, firstStep: true },
          { lr: 0.01, momentum: 0.9, dampening: 0.1, weightDecay: 5e-4, nesterov: false, firstStep: false },
          { lr: 0.03, momentum: 0.8, dampening: 0, weightDecay: 0, nesterov: true, firstStep: false },
        ];
        for (const q of sgdCases) {
          const d = init();
          const [P, G, B] = [d.w, d.g, d.b].map((a) => wasm.upload(a));
          const [Pr, Gr, Br] = [d.w, d.g, d.b].map((a) => cpu.upload(a));
          wasm.sgdStep(P!, G!, B!, q); cpu.sgdStep(Pr!, Gr!, Br!, q);
          await same(`sgd param ${JSON.stringify(q)}`, P!, Pr!);
          await same(`sgd buffer ${JSON.stringify(q)}`, B!, Br!);
        }
        const adamCases: AdamParams[] = [
          { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 },
          { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, decoupled: true, step: 7 },
          { lr: 3e-4, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 1e-3, decoupled: false, step: 3 },
        ];
        for (const q of adamCases) {
          const d = init();
          const [P, G, M, V] = [d.w, d.g, d.b, d.v].map((a) => wasm.upload(a));
          const [Pr, Gr, Mr, Vr] = [d.w, d.g, d.b, d.v].map((a) => cpu.upload(a));
          wasm.adamStep(P!, G!, M!, V!, q); cpu.adamStep(Pr!, Gr!, Mr!, Vr!, q);
          await same(`adam param ${JSON.stringify(q)}`, P!, Pr!);
          await same(`adam m ${JSON.stringify(q)}`, M!, Mr!);
          await same(`adam v ${JSON.stringify(q)}`, V!, Vr!);
        }
      });

      const poolCases: Array<Partial<Pool2dParams>> = [
        {},
        { kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1 },
        { kH: 3, kW: 3, strideH: 1, strideW: 1 },
        { kH: 2, kW: 3, strideH: 1, strideW: 2, padTop: 1, padLeft: 0 },
      ];
      for (const q of poolCases) {
        it(`maxPool2d and its gradient ${JSON.stringify(q)}`, async () => {
          const p: Pool2dParams = { n: 2, c: 3, inH: 13, inW: 12, outH: 0, outW: 0, kH: 2, kW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, countIncludePad: true, ...q };
          p.outH = Math.floor((p.inH + 2 * p.padTop - p.kH) / p.strideH) + 1;
          p.outW = Math.floor((p.inW + 2 * p.padLeft - p.kW) / p.strideW) + 1;
          // small integers: many ties, and gradient sums that are exact in float32
          const rng = random(p.kH * 10 + p.strideW);
          const data = Float32Array.from({ length: p.n * p.c * p.inH * p.inW }, () => Math.round((rng() + 0.5) * 4));
          data[5] = NaN; data[40] = NaN; data[41] = -0;
          const x = wasm.upload(data), xr = cpu.upload(data);
          const m = wasm.maxPool2d(x, p), mr = cpu.maxPool2d(xr, p);
          await same('maxPool2d', m.out, mr.out);
          await same('maxPool2d argmax', m.argmax, mr.argmax);
          const g = Float32Array.from({ length: p.n * p.c * p.outH * p.outW }, () => Math.round((rng() + 0.5) * 8) - 4);
          const dy = wasm.upload(g), dyr = cpu.upload(g);
          await same('maxPool2dBackward', wasm.maxPool2dBackward(dy, m.argmax, p), cpu.maxPool2dBackward(dyr, mr.argmax, p));
          // average pooling: finite inputs, both padding rules, bit for bit
          const finite = Float32Array.from(data, (v) => (Number.isNaN(v) ? 0.75 : v + rng() / 3));
          const grads = Float32Array.from(g, (v) => v + rng() / 7);
          for (const countIncludePad of [true, false]) {
            const q2 = { ...p, countIncludePad };
            await same(`avgPool2d ${countIncludePad}`, wasm.avgPool2d(wasm.upload(finite), q2), cpu.avgPool2d(cpu.upload(finite), q2));
            await same(`avgPool2dBackward ${countIncludePad}`, wasm.avgPool2dBackward(wasm.upload(grads), q2), cpu.avgPool2dBackward(cpu.upload(grads), q2));
          }
        });
      }
    });

    for (const q of convCases) {
      it(`conv2d forward, input grad, weight grad ${JSON.stringify(q)}`, () => {
        const p = convParams(q);
        const rng = random(p.inC * 100 + p.outC + p.kH * 7 + p.strideH);
        const x = randomArray(p.n * p.inC * p.inH * p.inW, rng);
        const w = randomArray(p.outC * (p.inC / p.groups) * p.kH * p.kW, rng);
        const dy = randomArray(p.n * p.outC * p.outH * p.outW, rng);
        const ref = naiveConv(p, x, w, dy);
        const tol = 1e-5 * (p.inC * p.kH * p.kW + p.outC * p.kH * p.kW + p.n * p.outH * p.outW) + 1e-6;
        const y = K.conv2d(x, w, p);
        expect(maxAbsDiff(y, ref.y), 'forward').toBeLessThan(tol);
        const dx = K.conv2dBackwardInput(dy, w, p);
        expect(maxAbsDiff(dx, ref.dx), 'input grad').toBeLessThan(tol);
        const dw = K.conv2dBackwardWeight(x, dy, p);
        expect(maxAbsDiff(dw, ref.dw), 'weight grad').toBeLessThan(tol);
        for (const a of [y, dx, dw]) K.release(a);
      });
    }
  });
}

describe.skipIf(!features.simd)('wasm kernels, both stride-1 input-gradient algorithms agree', () => {
  it('transposed forward and col2im match the reference', async () => {
    for (const backwardInput of ['transposed', 'col2im'] as const) {
      const K = await WasmKernels.create({ threads: 1, backwardInput });
      for (const q of [{ inC: 1, outC: 6, kH: 5, kW: 5, padTop: 2, padLeft: 2 }, { inC: 7, outC: 3, dilationH: 2, padTop: 2 }, { groups: 2, inC: 6, outC: 4 }]) {
        const p = convParams(q);
        const rng = random(3);
        const x = randomArray(p.n * p.inC * p.inH * p.inW, rng), w = randomArray(p.outC * (p.inC / p.groups) * p.kH * p.kW, rng);
        const dy = randomArray(p.n * p.outC * p.outH * p.outW, rng);
        const dx = K.conv2dBackwardInput(dy, w, p);
        expect(maxAbsDiff(dx, naiveConv(p, x, w, dy).dx), `${backwardInput} ${JSON.stringify(q)}`).toBeLessThan(1e-4);
      }
      K.dispose();
    }
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
    const a = randomArray(m * k, rng), b = randomArray(k * n, rng);
    const p: MatmulParams = { batch: 1, m, n, k, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 };
    const out = K.matmul(a, b, p);
    expect(K.heap.owns(out)).toBe(false);
    expect(maxAbsDiff(out, naiveMatmul(a, b, p))).toBeLessThan(1e-3);
    expect(K.heap.stats().liveBytes).toBeLessThan(8 * 1024 * 1024);
    K.dispose();
  });
});

describe('WasmBackend', () => {
  let backend: WasmBackend;
  beforeAll(async () => { backend = await createWasmBackend({ threads: 2, parallelThreshold: 0, verbose: false }); });
  afterAll(() => backend?.dispose());

  it('keeps float32 storages in the wasm heap and frees them back to it', () => {
    expect(backend.name).toBe('wasm');
    const before = backend.kernels.heap.stats().liveBytes;
    const s = backend.upload(new Float32Array([1, 2, 3]));
    const data = backend.readSync(s) as Float32Array;
    expect(backend.kernels.heap.owns(data)).toBe(backend.kernels.resident);
    expect([...data]).toEqual([1, 2, 3]);
    backend.free(s);
    expect(backend.kernels.heap.stats().liveBytes).toBe(before);
    expect(() => backend.free(s)).toThrow(/double free/);
    expect(backend.memory().liveBuffers).toBe(0);
    // int32 (max-pool argmax) lives there too; float64 does not
    const i = backend.upload(new Int32Array([4])), d = backend.upload(new Float64Array([5]));
    expect(backend.kernels.heap.owns(backend.readSync(i)!)).toBe(backend.kernels.resident);
    expect(backend.kernels.heap.owns(backend.readSync(d)!)).toBe(false);
    backend.free(i);
    backend.free(d);
  });

  it('runs matmul and the convolutions through the kernels, float64 through the reference', async () => {
    const rng = random(5);
    const p: MatmulParams = { batch: 2, m: 9, n: 21, k: 13, transA: true, transB: false, aBatchStride: 9 * 13, bBatchStride: 0 };
    const a = randomArray(2 * 9 * 13, rng), b = randomArray(13 * 21, rng);
    const ref = naiveMatmul(a, b, p);
    for (const dtype of ['float32', 'float64'] as const) {
      const A = backend.upload(dtype === 'float32' ? a : Float64Array.from(a));
      const B = backend.upload(dtype === 'float32' ? b : Float64Array.from(b));
      const C = backend.matmul(A, B, p);
      expect(C.dtype).toBe(dtype);
      expect(maxAbsDiff(await backend.read(C), ref), dtype).toBeLessThan(1e-5);
      for (const s of [A, B, C]) backend.free(s);
    }
    const cp = convParams({ n: 3, inC: 4, outC: 6, groups: 2, strideH: 2, dilationW: 2, padLeft: 2 });
    const x = randomArray(cp.n * cp.inC * cp.inH * cp.inW, rng), w = randomArray(cp.outC * 2 * cp.kH * cp.kW, rng);
    const dy = randomArray(cp.n * cp.outC * cp.outH * cp.outW, rng);
    const r = naiveConv(cp, x, w, dy);
    const [X, W, D] = [x, w, dy].map((v) => backend.upload(v));
    const outs = [backend.conv2d(X!, W!, cp), backend.conv2dBackwardInput(D!, W!, cp), backend.conv2dBackwardWeight(X!, D!, cp)];
    const refs = [r.y, r.dx, r.dw];
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(await backend.read(outs[i]!), refs[i]!)).toBeLessThan(1e-4);
    expect(() => backend.conv2d(X!, D!, cp)).toThrow(/wasm\.conv2d: w has/);
    for (const s of [X, W, D, ...outs]) backend.free(s!);
    expect(backend.memory().liveBuffers).toBe(0);
    expect(backend.memory().pooledBytes).toBeGreaterThanOrEqual(0);
  });
});

describe('fused nn kernels (GM loss, softmax) against the float64 reference', () => {
  const cpu = new CpuBackend();
  // SIMD on one thread and on two (every call split), and the scalar fallback
  const configs: Array<[string, WasmKernelOptions]> = [
    ...(features.simd ? [['SIMD, 1 thread', { threads: 1 }], ['SIMD, 2 threads', { threads: 2, parallelThreshold: 0 }]] as Array<[string, WasmKernelOptions]> : []),
    ['scalar, 2 threads', { threads: 2, simd: false, parallelThreshold: 0 }],
  ];
  const backends: Array<[string, WasmBackend]> = [];
  beforeAll(async () => {
    for (const [name, opts] of configs) backends.push([name, await createWasmBackend({ ...opts, verbose: false })]);
  });
  afterAll(() => { for (const [, b] of backends) b.dispose(); });

  interface Problem { p: GMLossParams; x: Float32Array; means: Float32Array; logVar: Float32Array | null; labels: Int32Array }
  function problem(n: number, k: number, d: number, diagonal: boolean, likelihood: GMLikelihood, alpha: number, lambda: number): Problem {
    const rng = random(n * 10007 + k * 101 + d + (diagonal ? 7 : 0));
    const x = randomArray(n * d, rng).map((v) => 3 * v), means = randomArray(k * d, rng).map((v) => 3 * v);
    const labels = Int32Array.from({ length: n }, () => Math.floor((rng() + 0.5) * k) % k);
    // a sample sitting almost on its class mean: the direct sum Σ (x − μ)² must not cancel
    for (let j = 0; j < d; j++) x[j] = means[labels[0]! * d + j]! + 1e-3 * rng();
    const logVar = diagonal ? randomArray(k * d, rng) : null;
    return { p: { n, k, d, alpha, lambda, likelihood, diagonal }, x, means, logVar, labels };
  }

  type Outputs = Record<string, TypedArray>;
  async function run(b: CpuBackend, q: Problem, f64: boolean, gradLoss = 1.5): Promise<Outputs> {
    const up = (a: Float32Array) => b.upload(f64 ? Float64Array.from(a) : a);
    const x = up(q.x), means = up(q.means), logVar = q.logVar ? up(q.logVar) : null, labels = b.upload(q.labels);
    const fwd = b.gmForward(x, means, logVar, labels, q.p);
    const g = up(new Float32Array([gradLoss]));
    const bwd = b.gmBackward(x, means, logVar, labels, fwd.logSumExp, g, q.p);
    const out: Outputs = {};
    for (const [name, s] of Object.entries({ ...fwd, ...bwd })) { out[name] = await b.read(s!); b.free(s!); }
    for (const s of [x, means, logVar, labels, g]) if (s) b.free(s);
    return out;
  }

  const shapes: Array<[number, number, number]> = [[1, 7, 5], [6, 10, 2], [9, 13, 33], [23, 4, 64]];
  for (const [n, k, d] of shapes) {
    for (const diagonal of [false, true]) {
      it(`N=${n} K=${k} D=${d} ${diagonal ? 'diagonal' : 'identity'}, every likelihood`, async () => {
        for (const likelihood of ['true-class', 'true-class-sq', 'all-class'] as const) {
          for (const [alpha, lambda] of [[0.7, 0.3], [0, 0]]) {
            const q = problem(n, k, d, diagonal, likelihood, alpha, lambda);
            const ref = await run(cpu, q, true);
            expect(Object.keys(ref).sort()).toEqual(
              ['dMeans', 'dx', 'logSumExp', 'logits', 'loss', 'prediction', 'score', ...(diagonal ? ['dLogVar'] : [])].sort());
            const results: Outputs[] = [];
            for (const [name, b] of backends) {
              const got = await run(b, q, false);
              results.push(got);
              for (const [what, r] of Object.entries(ref)) {
                const a = got[what]!, tag = `${name} ${likelihood} α=${alpha} λ=${lambda} ${what}`;
                expect(a.length, tag).toBe(r.length);
                if (what === 'prediction') { expect([...a], tag).toEqual([...r]); continue; }
                for (let i = 0; i < r.length; i++) {
                  if (!(Math.abs(a[i]! - r[i]!) <= 1e-4 + 1e-3 * Math.abs(r[i]!))) expect.fail(`${tag}[${i}]: ${a[i]} vs reference ${r[i]}`);
                }
              }
            }
            // one thread and two give the same bits
            if (features.simd && features.sharedMemory) {
              for (const [what, a] of Object.entries(results[0]!)) {
                const b = results[1]![what]!;
                for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`threads 1 vs 2, ${what}[${i}]: ${a[i]} vs ${b[i]}`);
              }
            }
          }
        }
      });
    }
  }

  it('e^{−logVar} kernel: within 1 ulp on [−88.3, 87.3], 0 or saturated outside, NaN kept', async () => {
    for (const [name, b] of backends) {
      const n = 100003, x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = Math.fround(-88.3 + (175.6 * i) / n);
      const y = b.kernels.allocF32(n);
      b.kernels.gmInvVarInto(x, y);
      for (let i = 0; i < n; i++) {
        const r = Math.exp(-x[i]!), ulp = 2 ** (Math.floor(Math.log2(r)) - 23);
        if (!(Math.abs(y[i]! - r) <= ulp)) expect.fail(`${name}: e^-(${x[i]}) = ${y[i]}, expected ${r}`);
      }
      const edge = b.kernels.allocF32(4);
      b.kernels.gmInvVarInto(new Float32Array([NaN, 200, -200, 0]), edge);
      expect(edge[0], name).toBeNaN();
      expect(edge[1] === 0 && edge[2]! > 2e38 && edge[2]! < Infinity && edge[3] === 1, `${name}: ${[...edge]}`).toBe(true);
      b.kernels.release(y); b.kernels.release(edge);
    }
  });

  it('softmax and log-softmax, rows with NaN, ±∞ and large logits, widths not a multiple of 4', async () => {
    const shapes: Array<[number, number]> = [[1, 1024], [400, 3], [128, 10], [3, 1031], [64, 37]];
    for (const [outer, inner] of shapes) {
      const rng = random(outer * 7 + inner);
      const x = randomArray(outer * inner, rng).map((v) => 8 * v);
      const row = (o: number, fill: (i: number) => number) => { for (let i = 0; i < inner; i++) x[o * inner + i] = fill(i); };
      if (outer > 5) {
        row(1, (i) => (i === inner - 1 ? NaN : 0));
        row(2, (i) => (i === 0 ? Infinity : 1));
        row(3, () => -Infinity);
        row(4, (i) => (i % 2 ? -Infinity : 1e4 + i));
        row(5, (i) => -100 * i);
      }
      for (const log of [false, true]) {
        const ref = await cpu.read(cpu.softmax(cpu.upload(Float64Array.from(x)), outer, inner, log));
        const results: TypedArray[] = [];
        for (const [name, b] of backends) {
          const X = b.upload(x), Y = b.softmax(X, outer, inner, log);
          const got = await b.read(Y);
          b.free(X); b.free(Y);
          results.push(got);
          for (let i = 0; i < ref.length; i++) {
            const a = got[i]!, r = ref[i]!;
            if (!Object.is(a, r) && !(Math.abs(a - r) <= 1e-4 + 1e-3 * Math.abs(r))) {
              expect.fail(`${name} ${log ? 'logSoftmax' : 'softmax'} [${outer}, ${inner}] at ${i}: ${a} vs reference ${r}`);
            }
          }
        }
        for (let i = 0; features.simd && features.sharedMemory && i < ref.length; i++) {
          if (!Object.is(results[0]![i], results[1]![i])) expect.fail(`softmax threads 1 vs 2 at ${i}`);
        }
      }
    }
  });

  it('raises the reference\'s error for a label out of range, and runs float64 through the reference', async () => {
    const [, b] = backends[0]!;
    const q = problem(3, 7, 5, true, 'true-class', 1, 0.1);
    const x = b.upload(q.x), means = b.upload(q.means), logVar = b.upload(q.logVar!);
    for (const bad of [7, -1]) {
      const labels = b.upload(Int32Array.from([0, bad, 2]));
      expect(() => b.gmForward(x, means, logVar, labels, q.p)).toThrow(`wasm.gmForward: label ${bad} of sample 1 is outside [0, 7)`);
      const lse = b.upload(new Float32Array(3)), g = b.upload(new Float32Array([1]));
      expect(() => b.gmBackward(x, means, logVar, labels, lse, g, q.p)).toThrow(`wasm.gmBackward: label ${bad} of sample 1 is outside [0, 7)`);
      for (const s of [labels, lse, g]) b.free(s);
    }
    for (const s of [x, means, logVar]) b.free(s);
    const ref = await run(cpu, q, true), got = await run(b, q, true);
    expect(got.loss).toBeInstanceOf(Float64Array);
    for (const [what, r] of Object.entries(ref)) expect([...got[what]!], what).toEqual([...r]);
    expect(b.memory().liveBuffers).toBe(0);
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
  /** Transpiles the backend's sources (wasm, cpu, core) to plain ESM so a fresh `node` can import them. */
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
    for (const dir of ['core', 'backends/cpu', 'backends/wasm']) walk(join(root, dir));
    writeFileSync(join(out, 'package.json'), '{"type":"module"}');
    return out;
  }

  it('exits on its own with live worker threads, and after dispose()', () => {
    const dir = transpileSources();
    try {
      for (const dispose of [false, true]) {
        const script = join(dir, `exit-${dispose}.mjs`);
        writeFileSync(script, `
          import { createWasmBackend } from './backends/wasm/index.js';
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

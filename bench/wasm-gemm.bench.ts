/**
 * GFLOPS of the WebAssembly kernels: matmul at 128…1024 and the MNIST/CIFAR convolution layers at
 * batch 64 (forward, input grad, weight grad), on one thread and on all cores. Each figure is the
 * best of several runs (the machine may be shared). Run:
 *   npx vitest run --config bench/vitest.config.ts bench/wasm-gemm.bench.ts
 * Environment: BENCH_THREADS="1,2" to choose thread counts, BENCH_REPEAT=n for more runs.
 */
import { test } from 'vitest';
import type { Conv2dParams, MatmulParams } from '../src/core/backend.js';
import { WasmKernels } from '../src/backends/wasm/calls/kernel-calls.js';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);

function best(K: WasmKernels, run: () => Float32Array, minReps: number, budgetMs = 1500): number {
  K.release(run()); // warm-up (compiles, grows scratch)
  let bestMs = Infinity;
  const start = performance.now();
  for (let r = 0; r < Math.max(minReps, REPEAT) || (r < 50 && performance.now() - start < budgetMs / 4); r++) {
    const t = performance.now();
    const out = run();
    bestMs = Math.min(bestMs, performance.now() - t);
    K.release(out);
    if (performance.now() - start > budgetMs && r >= minReps) break;
  }
  return bestMs;
}

function filled(K: WasmKernels, n: number): Float32Array {
  const a = K.allocF32(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i) * 0.5;
  return a;
}

const CONVS: Array<[string, Omit<Conv2dParams, 'outH' | 'outW'>]> = [
  ['MNIST 28×28×1→32 5×5 p2', { n: 64, inC: 1, inH: 28, inW: 28, outC: 32, kH: 5, kW: 5, strideH: 1, strideW: 1, padTop: 2, padLeft: 2, dilationH: 1, dilationW: 1, groups: 1 }],
  ['MNIST 14×14×32→64 5×5 p2', { n: 64, inC: 32, inH: 14, inW: 14, outC: 64, kH: 5, kW: 5, strideH: 1, strideW: 1, padTop: 2, padLeft: 2, dilationH: 1, dilationW: 1, groups: 1 }],
  ['CIFAR 32×32×3→64 3×3 p1', { n: 64, inC: 3, inH: 32, inW: 32, outC: 64, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, dilationH: 1, dilationW: 1, groups: 1 }],
  ['CIFAR 16×16×64→128 3×3 p1', { n: 64, inC: 64, inH: 16, inW: 16, outC: 128, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, dilationH: 1, dilationW: 1, groups: 1 }],
];

const threadCounts = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);

for (const threads of threadCounts) {
  test(`wasm kernels, ${threads} thread(s)`, async () => {
    const K = await WasmKernels.create({ threads });
    const rows: string[] = [`threads=${K.threads} simd=${K.simd} relaxedMadd=${K.relaxedMadd}`];
    for (const n of [128, 256, 512, 1024]) {
      const a = filled(K, n * n), b = filled(K, n * n);
      const p: MatmulParams = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      const ms = best(K, () => K.matmul(a, b, p), n >= 1024 ? 4 : 10);
      rows.push(`matmul ${n}³: ${(2 * n ** 3 / ms / 1e6).toFixed(1)} GFLOPS (${ms.toFixed(2)} ms)`);
      K.release(a); K.release(b);
    }
    for (const [name, q] of CONVS) {
      const p: Conv2dParams = {
        ...q,
        outH: (q.inH + 2 * q.padTop - q.dilationH * (q.kH - 1) - 1) / q.strideH + 1,
        outW: (q.inW + 2 * q.padLeft - q.dilationW * (q.kW - 1) - 1) / q.strideW + 1,
      };
      const x = filled(K, p.n * p.inC * p.inH * p.inW), w = filled(K, p.outC * p.inC * p.kH * p.kW);
      const dy = filled(K, p.n * p.outC * p.outH * p.outW);
      const flops = 2 * p.n * p.outC * p.outH * p.outW * (p.inC / p.groups) * p.kH * p.kW;
      const g = (ms: number) => `${(flops / ms / 1e6).toFixed(1)}`;
      const f = best(K, () => K.conv2d(x, w, p), 5);
      const di = best(K, () => K.conv2dBackwardInput(dy, w, p), 5);
      const dw = best(K, () => K.conv2dBackwardWeight(x, dy, p), 5);
      rows.push(`conv ${name}, batch ${p.n}: forward ${g(f)}, input grad ${g(di)}, weight grad ${g(dw)} GFLOPS`);
      for (const a of [x, w, dy]) K.release(a);
    }
    K.dispose();
    console.log(rows.join('\n'));
  });
}

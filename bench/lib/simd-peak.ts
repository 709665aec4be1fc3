/**
 * The machine's 128-bit SIMD peak as WebAssembly sees it: a loop of twelve independent f32x4
 * multiply-adds (relaxed madd where the engine has it, else mul + add), assembled with gmgrad's own
 * assembler, run at once on the main thread and on threads − 1 workers. GFLOPS count a
 * multiply-add as two operations per lane, as the training GFLOPS do.
 */
import { Worker } from 'node:worker_threads';
import { ModuleBuilder } from '../../src/backends/wasm/assembler.js';
import { enableRelaxedSimdInNode, probeFeatures } from '../../src/backends/wasm/features.js';

const CHAINS = 12;

export interface SimdPeak {
  threads: number;
  fma: boolean;
  /** the sum over threads */
  gflops: number;
  perThread: number[];
}

function peakModule(fma: boolean): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder({ simd: true });
  mod.func('peak', ['i32'], ['f32'], (f, n) => {
    const acc = Array.from({ length: CHAINS }, (_, i) => { const l = f.local('v128'); f.f32x4Const(1 + i / 64).set(l); return l; });
    const b = f.local('v128'), c = f.local('v128');
    f.f32x4Const(0.9999999).set(b);
    f.f32x4Const(1e-7).set(c);
    f.loop((top) => {
      for (const a of acc) {
        if (fma) f.get(a).get(b).get(c).op('f32x4.relaxed_madd').set(a);
        else f.get(a).get(b).op('f32x4.mul').get(c).op('f32x4.add').set(a);
      }
      f.get(n!).i32(1).op('i32.sub').tee(n!).i32(0).op('i32.gt_s').brIf(top);
    });
    f.get(acc[0]!);
    for (const a of acc.slice(1)) f.get(a).op('f32x4.add');
    f.lane('f32x4.extract_lane', 0);
  });
  return mod.build();
}

/** runs `peak` after a shared start signal; reports GFLOPS (the same code on every thread) */
const RUNNER = `
const { workerData, parentPort } = require('node:worker_threads');
const run = ${runPeak.toString()};
WebAssembly.instantiate(workerData.bytes).then(({ instance }) => {
  parentPort.postMessage({ ready: true });
  const flag = new Int32Array(workerData.flag);
  Atomics.wait(flag, 0, 0);
  parentPort.postMessage({ gflops: run(instance.exports.peak, workerData.iterations, workerData.flopPerIteration) });
});
`;

function runPeak(peak: (n: number) => number, iterations: number, flopPerIteration: number): number {
  const t = performance.now();
  peak(iterations);
  return (iterations * flopPerIteration) / ((performance.now() - t) / 1000) / 1e9;
}

/** measure for about `ms` milliseconds per thread */
export async function measureSimdPeak(threads: number, ms = 300): Promise<SimdPeak> {
  enableRelaxedSimdInNode();
  const fma = probeFeatures().relaxedMadd;
  const bytes = peakModule(fma);
  const { instance } = await WebAssembly.instantiate(bytes);
  const peak = instance.exports.peak as (n: number) => number;
  const flopPerIteration = CHAINS * 4 * 2;
  // calibrate: iterations for `ms` on this thread alone
  let iterations = 1 << 16;
  for (;;) {
    const t = performance.now();
    peak(iterations);
    const dt = performance.now() - t;
    if (dt > 20) { iterations = Math.ceil(iterations * ms / dt); break; }
    iterations *= 4;
  }
  const flag = new SharedArrayBuffer(4);
  const workers = Array.from({ length: threads - 1 }, () => new Worker(RUNNER, { eval: true, workerData: { bytes, flag, iterations, flopPerIteration } }));
  try {
    const results = workers.map((w) => new Promise<number>((resolve, reject) => {
      w.on('message', (m: { gflops?: number }) => { if (m.gflops !== undefined) resolve(m.gflops); });
      w.on('error', reject);
    }));
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => w.once('message', () => resolve()))));
    const view = new Int32Array(flag);
    Atomics.store(view, 0, 1);
    Atomics.notify(view, 0);
    const own = runPeak(peak, iterations, flopPerIteration);
    const perThread = [own, ...(await Promise.all(results))];
    return { threads, fma, gflops: perThread.reduce((a, b) => a + b, 0), perThread };
  } finally {
    for (const w of workers) void w.terminate();
  }
}

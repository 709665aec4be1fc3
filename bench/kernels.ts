/**
 * Kernel benchmark: matmul, the three convolution kernels (forward, input gradient, weight
 * gradient) at the MNIST-CNN and CIFAR-ResNet layer shapes, and the GM loss forward + backward,
 * on every gmgrad backend and its TF.js peer, with speed-ups and an agreement check per row.
 *
 *   npm run bench:kernels -- [--quick] [--big] [--backends ids] [--rows substrings] [--budget s]
 *
 * gmgrad's matmul and convolutions are timed at the backend boundary (the kernels themselves);
 * TF.js's through tf.matMul / tf.conv2d and the Conv2DBackpropInput / Conv2DBackpropFilter kernels
 * (tfjs-wasm has no Conv2DBackpropFilter: im2col + matmul, marked *). The GM loss is timed through
 * the public op on both sides (gmgrad's fused kernel vs TF.js's autodiff of the same formula).
 */
import { runBench } from './lib/run-bench.js';
import { measureBlas, type BlasReference } from './lib/blas.js';
import { conv2dParams, gmLoss, tensor, tidy, valueAndGrad, type Tensor } from '../src/index.js';
import type { Storage } from '../src/core/backend.js';
import { HelpRequested, parseArgs, rowSelected, type BenchArgs } from './lib/args.js';
import { hwioToOihw, nchwToNhwc, nhwcToNchw, oihwToHwio, seededLabels, seededUniform } from './lib/data.js';
import { readFloat, syncStorage, syncTensor, type GmgradImpl } from './lib/gmgrad.js';
import {
  checkAgreement, closeImpls, rowAgrees, implLabel, naCell, openImpls, renderRows, rowsForJson, timeCell,
  type Cell, type Opened, type Prepared, type Row,
} from './lib/harness.js';
import { implInfo, selectedImpls, type ImplId } from './lib/impls.js';
import { reportCell } from './lib/progress.js';
import { machineInfo, writeResults } from './lib/results.js';
import { fmtMs, fmtRate, renderSection } from './lib/table.js';
import { activate, readTf, syncTf, type TfjsImpl } from './lib/tfjs.js';
import { explicitPad, filterGrad, inputGrad, weightGradIm2col } from './lib/tfjs-conv.js';
import { gmLossTf } from './lib/tfjs-gm.js';
import type { TimingOptions } from './lib/timing.js';

/** A software WebGPU adapter (SwiftShader: about a GFLOPS) gets rows of at most this much work. */
/** rows above this many FLOP shrink (or are skipped) on a software adapter; --sw-mflop sets it */
let SOFTWARE_GPU_MAX_FLOP = 2e7;

interface KernelRow {
  id: string;
  label: string;
  /** rows of one kind share a rate estimate (used to skip runs that would take too long) */
  kind: 'matmul' | 'conv-fwd' | 'conv-dx' | 'conv-dw' | 'gm';
  /** batch of the row; rows with a batch are shrunk, not skipped, on a software adapter */
  batch?: number;
  flop(batch?: number): number;
  gmgrad(impl: GmgradImpl, batch?: number): Promise<Prepared>;
  tfjs(impl: TfjsImpl, batch?: number): Promise<Prepared>;
}

// ---------------------------------------------------------------- matmul

function matmulRow(n: number): KernelRow {
  const a = seededUniform(n * n, 1), b = seededUniform(n * n, 2);
  return {
    id: `matmul-${n}`, label: `matmul ${n}³`, kind: 'matmul',
    flop: () => 2 * n ** 3,
    async gmgrad(impl) {
      const be = impl.backend;
      const A = be.upload(a), B = be.upload(b);
      const p = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      return {
        async run() { const out = be.matmul(A, B, p); try { await syncStorage(be, out); } finally { be.free(out); } },
        async outputs() { const out = be.matmul(A, B, p); try { return [await readFloat(be, out)]; } finally { be.free(out); } },
        dispose() { be.free(A); be.free(B); },
      };
    },
    async tfjs(impl) {
      const tf = impl.tf;
      const A = tf.tensor2d(a, [n, n]), B = tf.tensor2d(b, [n, n]);
      return {
        async run() { const c = tf.matMul(A, B); try { await syncTf(tf, c); } finally { c.dispose(); } },
        async outputs() { const c = tf.matMul(A, B); try { return [await readTf(c)]; } finally { c.dispose(); } },
        dispose() { A.dispose(); B.dispose(); },
      };
    },
  };
}

// ---------------------------------------------------------------- convolutions

interface ConvShape { name: string; c: number; h: number; w: number; o: number; k: number; pad: number }

const CONV_SHAPES: ConvShape[] = [
  { name: 'mnist1 28²×1→32 5×5', c: 1, h: 28, w: 28, o: 32, k: 5, pad: 2 },
  { name: 'mnist2 14²×32→64 5×5', c: 32, h: 14, w: 14, o: 64, k: 5, pad: 2 },
  { name: 'cifar1 32²×3→64 3×3', c: 3, h: 32, w: 32, o: 64, k: 3, pad: 1 },
  { name: 'cifar2 16²×64→128 3×3', c: 64, h: 16, w: 16, o: 128, k: 3, pad: 1 },
];

type ConvKernel = 'fwd' | 'dx' | 'dw';

function convRow(s: ConvShape, kernel: ConvKernel, batch: number): KernelRow {
  const oh = s.h + 2 * s.pad - s.k + 1, ow = s.w + 2 * s.pad - s.k + 1;
  // canonical data at the full batch (NCHW / OIHW); a smaller batch takes the first images
  const X = seededUniform(batch * s.c * s.h * s.w, 11);
  const W = seededUniform(s.o * s.c * s.k * s.k, 12, -0.2, 0.2);
  const DY = seededUniform(batch * s.o * oh * ow, 13);
  const flop = (b = batch) => 2 * b * s.o * oh * ow * s.c * s.k * s.k;
  const what = { fwd: 'forward', dx: 'input grad', dw: 'weight grad' }[kernel];
  return {
    id: `conv-${s.name.split(' ')[0]}-${kernel}`, label: `${s.name.split(' ')[0]} ${what}`, kind: `conv-${kernel}`, batch, flop,
    async gmgrad(impl, b = batch) {
      const be = impl.backend;
      const p = conv2dParams('bench', [b, s.c, s.h, s.w], [s.o, s.c, s.k, s.k], { padding: s.pad });
      const x = be.upload(X.subarray(0, b * s.c * s.h * s.w).slice());
      const w = be.upload(W.slice());
      const dy = be.upload(DY.subarray(0, b * s.o * oh * ow).slice());
      const compute = (): Storage => kernel === 'fwd' ? be.conv2d(x, w, p)
        : kernel === 'dx' ? be.accelerated.conv2dBackwardInput!(dy, w, p) : be.accelerated.conv2dBackwardWeight!(x, dy, p);
      return {
        async run() { const out = compute(); try { await syncStorage(be, out); } finally { be.free(out); } },
        async outputs() { const out = compute(); try { return [await readFloat(be, out)]; } finally { be.free(out); } },
        dispose() { be.free(x); be.free(w); be.free(dy); },
      };
    },
    async tfjs(impl, b = batch) {
      const tf = impl.tf;
      const x = tf.tensor4d(nchwToNhwc(X.subarray(0, b * s.c * s.h * s.w), b, s.c, s.h, s.w), [b, s.h, s.w, s.c]);
      const f = tf.tensor4d(oihwToHwio(W, s.o, s.c, s.k, s.k), [s.k, s.k, s.c, s.o]);
      const dy = tf.tensor4d(nchwToNhwc(DY.subarray(0, b * s.o * oh * ow), b, s.o, oh, ow), [b, oh, ow, s.o]);
      const im2col = kernel === 'dw' && impl.im2colWeightGrad;
      const compute = () => kernel === 'fwd' ? tf.conv2d(x, f, 1, explicitPad(s.pad))
        : kernel === 'dx' ? inputGrad(tf, dy, f, [b, s.h, s.w, s.c], 1, s.pad)
          : im2col ? weightGradIm2col(tf, x, dy, s.k, s.k, 1, s.pad)
            : filterGrad(tf, x, dy, [s.k, s.k, s.c, s.o], 1, s.pad);
      // back to gmgrad's layouts for the comparison
      const canonical = (v: Float32Array) => kernel === 'fwd' ? nhwcToNchw(v, b, s.o, oh, ow)
        : kernel === 'dx' ? nhwcToNchw(v, b, s.c, s.h, s.w) : hwioToOihw(v, s.o, s.c, s.k, s.k);
      const prepared: Prepared = {
        async run() { const out = compute(); try { await syncTf(tf, out); } finally { out.dispose(); } },
        async outputs() { const out = compute(); try { return [canonical(await readTf(out))]; } finally { out.dispose(); } },
        dispose() { x.dispose(); f.dispose(); dy.dispose(); },
      };
      if (im2col) prepared.remark = 'no Conv2DBackpropFilter kernel: weight gradient by im2col + matmul in tfjs ops';
      return prepared;
    },
  };
}

// ---------------------------------------------------------------- GM loss

const GM_ALPHA = 1, GM_LAMBDA = 0.1;

function gmRow(n: number, k: number, d: number): KernelRow {
  const X = seededUniform(n * d, 21), M = seededUniform(k * d, 22), L = seededLabels(n, k, 23);
  return {
    id: `gm-${k}x${d}`, label: `GM loss N${n} K${k} D${d}`, kind: 'gm',
    // forward distances (2NKD) + the two backward products (4NKD)
    flop: () => 6 * n * k * d,
    async gmgrad(impl) {
      const be = impl.backend;
      const x = tensor(X, { shape: [n, d], backend: be }), means = tensor(M, { shape: [k, d], backend: be });
      const labels = tensor(L, { shape: [n], dtype: 'int32', backend: be });
      const f = valueAndGrad((xi: Tensor, mi: Tensor) => gmLoss(xi, mi, labels, { margin: GM_ALPHA, lambda: GM_LAMBDA }).loss);
      const compute = () => tidy(() => { const r = f(x, means); return [r.value, ...r.grads]; });
      return {
        async run() {
          const outs = compute();
          try { await syncTensor(outs[outs.length - 1]!); } finally { for (const t of outs) t.dispose(); }
        },
        async outputs() {
          const outs = compute();
          try { return await Promise.all(outs.map(async (t) => Float32Array.from(await t.data() as ArrayLike<number>))); } finally { for (const t of outs) t.dispose(); }
        },
        dispose() { x.dispose(); means.dispose(); labels.dispose(); },
      };
    },
    async tfjs(impl) {
      const tf = impl.tf;
      const x = tf.tensor2d(X, [n, d]), means = tf.tensor2d(M, [k, d]);
      const oneHot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(L, 'int32'), k), 'float32')) as import('@tensorflow/tfjs-core').Tensor2D;
      const f = tf.valueAndGrads((xi: import('@tensorflow/tfjs-core').Tensor, mi: import('@tensorflow/tfjs-core').Tensor) =>
        gmLossTf(tf, xi as import('@tensorflow/tfjs-core').Tensor2D, mi as import('@tensorflow/tfjs-core').Tensor2D, oneHot, GM_ALPHA, GM_LAMBDA));
      const compute = () => { const r = f([x, means]); return [r.value, ...r.grads]; };
      return {
        async run() {
          const outs = compute();
          try { await syncTf(tf, outs[outs.length - 1]!); } finally { for (const t of outs) t.dispose(); }
        },
        async outputs() {
          const outs = compute();
          try { return await Promise.all(outs.map((t) => readTf(t))); } finally { for (const t of outs) t.dispose(); }
        },
        dispose() { x.dispose(); means.dispose(); oneHot.dispose(); },
      };
    },
  };
}

// ---------------------------------------------------------------- plan and run

function plan(args: BenchArgs): KernelRow[] {
  const sizes = args.quick ? [128, 512] : [128, 256, 512, 1024];
  if (args.big) sizes.push(4096);
  const rows: KernelRow[] = sizes.map(matmulRow);
  // small shapes first: their rates predict (and skip) the runs of the big ones that would not fit
  const shapes = args.quick ? [CONV_SHAPES[0]!, CONV_SHAPES[3]!] : CONV_SHAPES;
  for (const s of shapes) for (const k of ['fwd', 'dx', 'dw'] as const) rows.push(convRow(s, k, 64));
  const gm: [number, number][] = args.quick ? [[10, 64], [100, 128]] : [[10, 2], [10, 64], [100, 128], [1000, 512]];
  for (const [k, d] of gm) rows.push(gmRow(128, k, d));
  return rows.filter((r) => rowSelected(args, r.id));
}

/** the batch (or null: skip) a software adapter runs this row at */
function softwareVariant(row: KernelRow): { batch?: number; skip?: string } {
  if (row.flop() <= SOFTWARE_GPU_MAX_FLOP) return {};
  if (row.batch === undefined) return { skip: 'sw adapter' };
  let b = row.batch;
  while (b > 1 && row.flop(b) > SOFTWARE_GPU_MAX_FLOP) b >>= 1;
  return { batch: b };
}

async function runRow(o: Opened, row: KernelRow, timing: TimingOptions, maxRunMs: number,
  rates: Map<string, number>): Promise<Row> {
  const result: Row = { id: row.id, label: row.label, cells: [], tolerance: 1e-3 };
  // on a software adapter both WebGPU sides run the same shrunken shape, so their ratio stays fair
  const software = [...o.gmgrad.values(), ...o.tfjs.values()].some((i) => i.software);
  for (const id of o.ids) {
    let cell: Cell;
    const reason = o.unavailable.get(id);
    const isGpu = implInfo(id).family === 'webgpu';
    const sw = isGpu && software ? softwareVariant(row) : {};
    const batch = sw.batch ?? row.batch;
    const flop = row.flop(batch);
    const known = rates.get(`${id}/${row.kind}`);
    const estimateMs = known ? flop / known / 1e6 : 0;
    if (reason !== undefined) cell = naCell(id, 'unavailable', reason);
    else if (sw.skip) cell = naCell(id, sw.skip, `${(row.flop() / 1e6).toFixed(0)} MFLOP: skipped on a software adapter (limit ${SOFTWARE_GPU_MAX_FLOP / 1e6} MFLOP)`);
    else if (estimateMs > maxRunMs) {
      cell = naCell(id, `est. ${(estimateMs / 1000).toFixed(0)} s`, `the time per run, extrapolated from the rate on the rows of the same kind before, is over the ${maxRunMs / 1000} s cap (--big lifts it)`);
    } else {
      const variant = batch !== row.batch ? `batch ${batch}` : undefined;
      const g = o.gmgrad.get(id), t = o.tfjs.get(id);
      // a GPU's first run compiles pipelines: only a much longer one stands in for the measurement
      const cellTiming = isGpu ? { ...timing, coldOnlyMs: Math.max(timing.coldOnlyMs, 10_000) } : timing;
      cell = await timeCell(id, async () => {
        if (g) return row.gmgrad(g, batch);
        await activate(t!);
        return row.tfjs(t!, batch);
      }, cellTiming, flop / 1e9, variant);
      // rates from warm runs only predict the next rows (a cold GPU run is mostly compilation)
      if (cell.status === 'ok' && !(isGpu && cell.cold)) rates.set(`${id}/${row.kind}`, cell.rate!);
    }
    reportCell(row.label, cell, 'GFLOPS');
    result.cells.push(cell);
  }
  checkAgreement(result);
  return result;
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseArgs(process.argv.slice(2), ['sw-mflop']);
  } catch (e) {
    if (e instanceof HelpRequested) { console.log((await import('./lib/usage.js')).usage('kernels')); return; }
    throw e;
  }
  const swMflop = Number(args.extra.get('sw-mflop') ?? 20);
  if (!(swMflop > 0)) throw new Error(`--sw-mflop must be a positive number, got ${args.extra.get('sw-mflop')}`);
  SOFTWARE_GPU_MAX_FLOP = swMflop * 1e6;
  const timing: TimingOptions = args.quick
    ? { warmup: 1, minRuns: 2, maxRuns: 5, budgetMs: (args.budgetS ?? 0.3) * 1000, coldOnlyMs: 1500 }
    : { warmup: 2, minRuns: 3, maxRuns: 15, budgetMs: (args.budgetS ?? 0.8) * 1000, coldOnlyMs: 3000 };
  const maxRunMs = args.big ? 180_000 : 15_000;
  const rows = plan(args);
  const o = await openImpls(selectedImpls(args, 'kernels'));
  process.stderr.write(`kernels: ${rows.length} rows × ${o.ids.length} implementations\n`);
  for (const id of o.ids) process.stderr.write(`  ${id}: ${o.unavailable.has(id) ? `n/a (${o.unavailable.get(id)})` : implLabel(o, id)}\n`);
  const rates = new Map<string, number>();
  const results: Row[] = [];
  const started = performance.now();
  for (const row of rows) results.push(await runRow(o, row, timing, maxRunMs, rates));
  const elapsed = (performance.now() - started) / 1000;

  const tables = renderRows(o, results, {
    rowTitle: 'kernel (convs: batch 64)', unit: 'ms  GFLOPS',
    format: (c) => `${fmtMs(c.ms!)}  ${fmtRate(c.rate!)}`,
  });
  const m = machineInfo();
  const header = [
    `${m.cpu}, ${m.cores} cores, load ${(m.loadAverage as number).toFixed(2)} at start; ${m.node}`,
    'median of timed runs after warm-up; every run ends with a one-element readback (GPU: waits for the queue)',
    'speed-up = peer ms / gmgrad ms (>1: gmgrad faster); GM loss GFLOPS counts 6·N·K·D',
    "agree: max |Δ| / max |reference| of the row's outputs against the TF.js result of the same shape (tolerance 1e-3)",
  ];
  console.log(renderSection(`gmgrad vs TF.js kernels (${elapsed.toFixed(0)} s)`, `${header.join('\n')}\n\n${tables}`, []));
  const blas = blasSection(o, results);
  const file = writeResults('kernels', args, { implementations: Object.fromEntries(o.ids.map((id) => [id, o.unavailable.get(id) ?? implLabel(o, id)])), rows: rowsForJson(results), elapsedS: elapsed, ...(blas ? { blas } : {}) });
  if (file) console.log(`\nresults: ${file}`);
  closeImpls(o);
  if (!results.every(rowAgrees)) process.exitCode = 1;
}

runBench(main);

/** The matmul rows against the machine's BLAS (numpy), measured now, after the timed rows. */
function blasSection(o: Opened, results: Row[]): BlasReference | null {
  const matmuls = results.filter((r) => /^matmul-\d+$/.test(r.id));
  const cpuIds = o.ids.filter((id) => !o.unavailable.has(id) && !id.includes('webgpu'));
  if (!matmuls.length || !cpuIds.length) return null;
  const sizes = matmuls.map((r) => Number(r.id.split('-')[1]));
  const blas = measureBlas(sizes);
  if ('unavailable' in blas) {
    console.log(`\nBLAS reference: n/a (${blas.unavailable})`);
    return blas;
  }
  const lines = [`matmul vs the machine's BLAS: ${blas.library}, same run (GFLOPS, and % of BLAS)`, ''];
  lines.push(['size'.padEnd(12), 'BLAS'.padStart(8), ...cpuIds.map((id) => id.padStart(16))].join(''));
  for (const [i, r] of matmuls.entries()) {
    const b = blas.rows[i]!;
    const cells = cpuIds.map((id) => {
      const c = r.cells.find((x) => x.impl === id);
      return (c?.status === 'ok' ? `${c.rate!.toFixed(1)} (${((100 * c.rate!) / b.gflops).toFixed(0)} %)` : 'n/a').padStart(16);
    });
    lines.push([`${b.n}³`.padEnd(12), b.gflops.toFixed(1).padStart(8), ...cells].join(''));
  }
  console.log(`\n${lines.join('\n')}`);
  return blas;
}

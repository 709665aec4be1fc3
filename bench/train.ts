/**
 * Training benchmark: one step (forward, backward, SGD with momentum, GM head) of the small MNIST
 * CNN, its unpadded variant lenet (the demo's network), the GM authors' 6-conv MNIST network and
 * ResNet-20 (CIFAR) per gmgrad backend, beside PyTorch on the CPU (bench/torch/reference.py in a
 * child python3) and TF.js, each training the same network from the same weights on the same batch.
 *
 *   npm run bench:train -- [--quick] [--models small-cnn,lenet,mnist-6conv,resnet20] [--head gm|softmax]
 *                          [--batch 64] [--rounds 7] [--round-steps 3] [--profile]
 *
 * wasm1, wasm, torch1 and torch take turns round by round (lib/alternate.ts): on a shared machine
 * the speed-up that counts is the median of the rounds' ratios. The run ends with the speed
 * targets, pass or fail (lib/train-targets.ts), against the 128-bit SIMD peak measured in the same
 * run (lib/simd-peak.ts). --profile prints where a step's time goes instead (lib/profile.ts).
 *
 * Agreement: the losses of the first two steps (the second one is after an update, so it checks
 * the gradients and the optimizer too) against PyTorch's (else TF.js's).
 * TF.js has no usable conv2d weight gradient on two backends: tfjs-wasm has no
 * Conv2DBackpropFilter kernel, and tfjs-cpu's runs at a few MFLOPS (a minute or more per step).
 * Both train with a custom gradient whose weight part is im2col + matmul in tfjs ops (marked *).
 */
import { runBench } from './lib/run-bench.js';
import type { Classifier } from '../src/index.js';
import { HelpRequested, headArg, intArg, parseArgs, rowSelected, type BenchArgs } from './lib/args.js';
import { nchwToNhwc } from './lib/data.js';
import { batchData, gmgradTrainer, LR, MOMENTUM } from './lib/train-gmgrad.js';
import type { GmgradImpl } from './lib/gmgrad.js';
import {
  checkAgreement, closeImpls, rowAgrees, naCell, openImpls, renderRows, rowsForJson, timeCell,
  type Cell, type Opened, type Prepared, type Row,
} from './lib/harness.js';
import { implInfo, PAIRS, selectedImpls, type ImplId } from './lib/impls.js';
import { MODEL_SPECS, referenceModel, type ModelSpec } from './lib/models.js';
import { reportCell } from './lib/progress.js';
import { machineInfo, writeResults } from './lib/results.js';
import { fmtMs, fmtRate, renderSection } from './lib/table.js';
import { countingSteps, dispatchNotes, dispatchOverheadUs } from './lib/gpu-calls.js';
import { activate, type TfjsImpl } from './lib/tfjs.js';
import { alternate, roundRatio, type AlternateOptions, type Contender } from './lib/alternate.js';
import { prepareTorch } from './lib/torch-train.js';
import { measureSimdPeak } from './lib/simd-peak.js';
import { countFlops } from './lib/step-flops.js';
import { renderTargets } from './lib/train-targets.js';
import { profileSteps } from './lib/profile.js';
import { renderProfile } from './lib/profile-report.js';
import type { SimdPeak } from './lib/simd-peak.js';
import { availableParallelism, loadavg } from 'node:os';
import { compareMemory } from './lib/train-memory.js';
import { compareEpochs } from './lib/train-epoch.js';
import { makeConv2d } from './lib/tfjs-conv.js';
import { tfClassifierFrom } from './lib/tfjs-models.js';
import type { TimingOptions } from './lib/timing.js';

/** images per step on a software WebGPU adapter (both sides), which manages tens of MFLOPS */
const SOFTWARE_GPU_BATCH = 2;

interface TrainRow { spec: ModelSpec; batch: number; head: 'gm' | 'softmax' }

async function prepareGmgrad(impl: GmgradImpl, row: TrainRow, batch: number): Promise<Prepared> {
  const t = gmgradTrainer(impl.backend, row.spec, row.head, batch, { lr: LR, momentum: MOMENTUM });
  const p: Prepared = {
    async run() { await t.step(); },
    async outputs() {
      // the first step's convolutions and products, counted: the effective GFLOPS of the targets
      const first = await countFlops(impl.backend, t.step);
      p.extra = { stepFlop: first.flops };
      return [Float32Array.of(first.result, await t.step())];
    },
    outputsRuns: 2,
    dispose() { t.dispose(); },
  };
  return p;
}

async function prepareTfjs(impl: TfjsImpl, row: TrainRow, batch: number, reference: Classifier): Promise<Prepared> {
  const tf = impl.tf;
  await activate(impl);
  // tfjs-cpu's own Conv2DBackpropFilter runs at a few MFLOPS: it would take minutes per step
  const im2col = impl.im2colWeightGrad || impl.backendName === 'cpu';
  const model = await tfClassifierFrom(tf, makeConv2d(tf, im2col), reference);
  const opt = tf.train.momentum(LR, MOMENTUM);
  const [c, h, w] = row.spec.inputShape;
  const d = batchData(row.spec, batch);
  const x = tf.tensor4d(nchwToNhwc(d.x, batch, c, h, w), [batch, h, w, c]);
  const oneHot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(d.y, 'int32'), 10), 'float32')) as import('@tensorflow/tfjs-core').Tensor2D;
  const varList = [...model.variables.values()];
  const step = async (): Promise<number> => {
    const cost = opt.minimize(() => model.loss(x, oneHot), true, varList)!;
    try { return (await cost.data())[0]!; } finally { cost.dispose(); }
  };
  const p: Prepared = {
    async run() { await step(); },
    async outputs() { return [Float32Array.of(await step(), await step())]; },
    outputsRuns: 2,
    dispose() { x.dispose(); oneHot.dispose(); opt.dispose(); model.dispose(); },
  };
  if (im2col) {
    p.remark = impl.im2colWeightGrad
      ? 'no Conv2DBackpropFilter kernel: conv weight gradient by im2col + matmul (custom gradient)'
      : 'its Conv2DBackpropFilter runs at a few MFLOPS: conv weight gradient by im2col + matmul (custom gradient)';
  }
  return p;
}

/** a step estimated (from the rate on the rows before) to take longer than this is not run */
const MAX_STEP_MS = 30_000;
/** implementations that take turns round by round (lib/alternate.ts); the others run one after another */
const ALTERNATING: ReadonlySet<ImplId> = new Set(['wasm1', 'wasm', 'torch1', 'torch']);

async function runRow(o: Opened, row: TrainRow, timing: TimingOptions, rates: Map<string, number>, alt: AlternateOptions): Promise<Row> {
  const label = `${row.spec.label}, ${row.head}`;
  const result: Row = { id: `${row.spec.name}-${row.head}`, label, cells: [], tolerance: 1e-3 };
  const software = [...o.gmgrad.values(), ...o.tfjs.values()].some((i) => i.software);
  let reference: Classifier | null = null;
  const referenceOnce = async () => (reference ??= await referenceModel(row.spec, row.head));
  const cells = new Map<ImplId, Cell>();
  try {
    const contenders: Contender[] = [];
    for (const id of o.ids) {
      const reason = o.unavailable.get(id);
      if (reason !== undefined) { cells.set(id, naCell(id, 'unavailable', reason)); continue; }
      const g = o.gmgrad.get(id), t = o.tfjs.get(id), torch = o.torch.get(id);
      if (ALTERNATING.has(id)) {
        contenders.push({
          id, work: row.batch,
          prepare: async () => (g ? prepareGmgrad(g, row, row.batch) : prepareTorch(torch!, await referenceOnce(), torchTraining(row))),
        });
        continue;
      }
      const isGpu = implInfo(id).family === 'webgpu';
      const batch = isGpu && software ? Math.min(SOFTWARE_GPU_BATCH, row.batch) : row.batch;
      const variant = batch !== row.batch ? `batch ${batch}` : undefined;
      const flop = row.spec.trainFlopPerImage * batch;
      const known = rates.get(id); // FLOP/s of this implementation on the model before
      if (known && (flop / known) * 1000 > MAX_STEP_MS) {
        const s = flop / known;
        const cell = naCell(id, `est. ${s.toFixed(0)} s/step`, `the time per step, extrapolated from the FLOP rate of the model before, is over the ${MAX_STEP_MS / 1000} s cap (try --batch or --backends)`);
        reportCell(label, cell, 'images/s');
        cells.set(id, cell);
        continue;
      }
      const cell = await timeCell(id, async () => {
        if (g) return countingSteps(await prepareGmgrad(g, row, batch), isGpu);
        return countingSteps(await prepareTfjs(t!, row, batch, await referenceOnce()), isGpu);
      }, isGpu ? { ...timing, coldOnlyMs: Math.max(timing.coldOnlyMs, 60_000) } : timing, batch, variant);
      if (cell.status === 'ok' && !(isGpu && cell.cold)) rates.set(id, flop / (cell.ms! / 1000));
      reportCell(label, cell, 'images/s');
      cells.set(id, cell);
    }
    if (contenders.length) {
      const { cells: timed, rounds } = await alternate(contenders, alt);
      result.pairRatios = {};
      for (const c of timed) { cells.set(c.impl, c); reportCell(label, c, 'images/s'); }
      for (const [g, p] of PAIRS) {
        const r = roundRatio(rounds, g, p);
        if (r !== undefined) result.pairRatios[`${g}/${p}`] = r;
      }
    }
  } finally {
    (reference as Classifier | null)?.dispose();
  }
  result.cells = o.ids.map((id) => cells.get(id)!);
  checkAgreement(result);
  return result;
}

/** --profile: one profile per model and gmgrad backend, printed (no timing comparison) */
async function profileRows(o: Opened, rows: readonly TrainRow[], peak: SimdPeak | null, steps: number): Promise<void> {
  console.log(`training-step profiles; load ${loadavg()[0]!.toFixed(2)} at start (uptime's 1-minute average)\n`);
  for (const row of rows) {
    for (const impl of o.gmgrad.values()) {
      const trainer = gmgradTrainer(impl.backend, row.spec, row.head, row.batch, { lr: LR, momentum: MOMENTUM });
      try {
        const profile = await profileSteps(impl.backend, trainer, steps);
        const threads = (impl.backend as { threads?: number }).threads ?? 1;
        // one thread's peak: the first thread of the same concurrent measurement
        const ownPeak = !peak ? null : peak.threads === threads ? peak : { ...peak, threads: 1, gflops: peak.perThread[0]!, perThread: [peak.perThread[0]!] };
        console.log(renderProfile(`${row.spec.label}, ${row.head}, batch ${row.batch} — ${impl.label}`, profile, ownPeak), '\n');
      } finally {
        trainer.dispose();
      }
    }
  }
}

function torchTraining(row: TrainRow) {
  const d = batchData(row.spec, row.batch);
  return {
    model: row.spec.name, head: row.head, alpha: row.spec.alpha, lambda: row.spec.lambda, likelihood: 'true-class', lr: LR,
    momentum: MOMENTUM, inputShape: [row.batch, ...row.spec.inputShape], x: d.x, y: d.y,
  };
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseArgs(process.argv.slice(2), ['models', 'head', 'batch', 'rounds', 'round-steps', 'memory-steps', 'data'], ['profile', 'memory', 'epoch']);
  } catch (e) {
    if (e instanceof HelpRequested) { console.log((await import('./lib/usage.js')).usage('train')); return; }
    throw e;
  }
  const head = headArg(args);
  if (args.switches.has('memory')) {
    const name = args.extra.get('models') ?? 'resnet20';
    const spec = MODEL_SPECS[name as keyof typeof MODEL_SPECS];
    if (!spec || name.includes(',')) throw new Error(`--memory runs one model (known: ${Object.keys(MODEL_SPECS).join(', ')}), got ${name}`);
    console.log(await compareMemory(spec, intArg(args, 'batch', 128, 2), intArg(args, 'memory-steps', 200, 1), availableParallelism()));
    return;
  }
  if (args.switches.has('epoch')) {
    console.log(compareEpochs((args.extra.get('models') ?? 'mnist-6conv,resnet20').split(','), args.extra.get('data') ?? null));
    return;
  }
  const batch = intArg(args, 'batch', 64, 2);
  const names = (args.extra.get('models') ?? (args.quick ? 'small-cnn' : 'small-cnn,lenet,mnist-6conv,resnet20')).split(',');
  const rows: TrainRow[] = names.map((n) => {
    const spec = MODEL_SPECS[n as keyof typeof MODEL_SPECS];
    if (!spec) throw new Error(`--models: unknown '${n}' (known: ${Object.keys(MODEL_SPECS).join(', ')})`);
    return { spec, batch, head };
  }).filter((r) => rowSelected(args, `${r.spec.name}-${r.head}`));
  // slow cells: the two checked steps alone stand for the measurement beyond coldOnlyMs
  const timing: TimingOptions = args.quick
    ? { warmup: 1, minRuns: 1, maxRuns: 3, budgetMs: (args.budgetS ?? 1.5) * 1000, coldOnlyMs: 8_000 }
    : { warmup: 1, minRuns: 2, maxRuns: 8, budgetMs: (args.budgetS ?? 4) * 1000, coldOnlyMs: 20_000 };
  const alt: AlternateOptions = { rounds: intArg(args, 'rounds', args.quick ? 3 : 7, 1), steps: intArg(args, 'round-steps', args.quick ? 2 : 3, 1) };
  const o = await openImpls(selectedImpls(args, 'train'));
  const wasm = o.gmgrad.get('wasm') ?? o.gmgrad.get('wasm1');
  const peak = wasm ? await measureSimdPeak((wasm.backend as unknown as { threads: number }).threads) : null;
  if (args.switches.has('profile')) {
    await profileRows(o, rows, peak, args.quick ? 3 : 5);
    closeImpls(o);
    return;
  }
  process.stderr.write(`train: ${rows.length} models × ${o.ids.length} implementations, batch ${batch}\n`);
  const started = performance.now();
  const results: Row[] = [];
  const rates = new Map<string, number>();
  for (const row of rows) results.push(await runRow(o, row, timing, rates, alt));
  const elapsed = (performance.now() - started) / 1000;
  const tables = renderRows(o, results, {
    rowTitle: `model (batch ${batch})`, unit: 'ms/step  img/s',
    format: (c) => `${fmtMs(c.ms!)}  ${fmtRate(c.rate!)}`,
  });
  const m = machineInfo();
  const peers = o.torch.size ? 'PyTorch' : 'TF.js';
  const header = [
    `${m.cpu}, ${m.cores} cores, load ${(m.loadAverage as number).toFixed(2)} at start; ${m.node}`,
    `one step = forward + backward + SGD (lr ${LR}, momentum ${MOMENTUM}) on a fixed random batch`,
    `wasm1, wasm, torch1, torch: ${alt.rounds} alternating rounds of ${alt.steps} steps after two checked steps and a warm-up; a cell is the median round, a speed-up the median of the rounds' ratios; other columns: median after two checked steps`,
    'speed-up = peer ms / gmgrad ms (>1: gmgrad faster); wasm/wasm1 = the speed-up from one thread to one per core',
    `agree: the losses of steps 1 and 2 against ${peers} from the same weights (relative, tolerance 1e-3)`,
  ];
  const targets = renderTargets(results, peak);
  const gpu = o.gmgrad.get('webgpu');
  const overhead = gpu ? await dispatchOverheadUs(gpu.backend) : null;
  const notes = [...dispatchNotes(results), ...(overhead ? [`webgpu dispatch overhead: ${overhead.us.toFixed(1)} µs per op (2000 tiny ops recorded back to back, then one read)`] : [])];
  console.log(renderSection(`gmgrad vs ${peers} training (${elapsed.toFixed(0)} s)`, `${header.join('\n')}\n\n${tables}${notes.length ? `\n\n${notes.join('\n')}` : ''}\n\n${targets}`, []));
  const file = writeResults('train', args, { rows: rowsForJson(results), elapsedS: elapsed, simdPeak: peak, dispatchOverheadUs: overhead?.us ?? null });
  if (file) console.log(`\nresults: ${file}`);
  closeImpls(o);
  if (!results.every(rowAgrees)) process.exitCode = 1;
}

runBench(main);

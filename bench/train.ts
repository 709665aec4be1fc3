/**
 * Training benchmark: images/s of one step (forward, backward, SGD with momentum) of the small
 * MNIST CNN (conv5×5-32, pool, conv5×5-64, pool, fc256, fc10 → GM head), the same layers unpadded
 * (lenet, the demo's network) and ResNet-20 (CIFAR, 64-d feature → GM head) per gmgrad backend, beside TF.js training the same network from the same
 * weights on the same batch (tf.train.momentum, optimizer.minimize).
 *
 *   npm run bench:train -- [--quick] [--models small-cnn,lenet,resnet20] [--head gm|softmax] [--batch 64]
 *
 * Agreement: the losses of the first two steps (the second one is after an update, so it checks
 * the gradients and the optimizer too) against TF.js's.
 * TF.js has no usable conv2d weight gradient on two backends: tfjs-wasm has no
 * Conv2DBackpropFilter kernel, and tfjs-cpu's runs at a few MFLOPS (a minute or more per step).
 * Both train with a custom gradient whose weight part is im2col + matmul in tfjs ops (marked *).
 */
import { runBench } from './lib/run-bench.js';
import { SGD, tensor, tidy, type Classifier, type Tensor } from '../src/index.js';
import { HelpRequested, headArg, intArg, parseArgs, rowSelected, type BenchArgs } from './lib/args.js';
import { nchwToNhwc, seededLabels, seededUniform } from './lib/data.js';
import type { GmgradImpl } from './lib/gmgrad.js';
import {
  checkAgreement, closeImpls, rowAgrees, naCell, openImpls, renderRows, rowsForJson, timeCell,
  type Opened, type Prepared, type Row,
} from './lib/harness.js';
import { implInfo, selectedImpls } from './lib/impls.js';
import { buildModel, MODEL_SPECS, referenceModel, type ModelSpec } from './lib/models.js';
import { reportCell } from './lib/progress.js';
import { machineInfo, writeResults } from './lib/results.js';
import { fmtMs, fmtRate, renderSection } from './lib/table.js';
import { countingSteps, dispatchNotes, dispatchOverheadUs } from './lib/gpu-calls.js';
import { activate, type TfjsImpl } from './lib/tfjs.js';
import { makeConv2d } from './lib/tfjs-conv.js';
import { tfClassifierFrom } from './lib/tfjs-models.js';
import type { TimingOptions } from './lib/timing.js';

const LR = 0.01, MOMENTUM = 0.9;
/** images per step on a software WebGPU adapter (both sides), which manages tens of MFLOPS */
const SOFTWARE_GPU_BATCH = 2;

interface TrainRow { spec: ModelSpec; batch: number; head: 'gm' | 'softmax' }

function batchData(spec: ModelSpec, batch: number): { x: Float32Array; y: Int32Array } {
  const [c, h, w] = spec.inputShape;
  return { x: seededUniform(batch * c * h * w, 31, 0, 1), y: seededLabels(batch, 10, 32) };
}

async function prepareGmgrad(impl: GmgradImpl, row: TrainRow, batch: number): Promise<Prepared> {
  const be = impl.backend;
  const model = buildModel(row.spec, row.head, be);
  model.train(true);
  const opt = new SGD(model.parameters(), { lr: LR, momentum: MOMENTUM });
  const d = batchData(row.spec, batch);
  const x = tensor(d.x, { shape: [batch, ...row.spec.inputShape], backend: be });
  const y = tensor(d.y, { shape: [batch], dtype: 'int32', backend: be });
  const step = async (): Promise<number> => {
    const loss = tidy(() => {
      const out = model.step(x, y);
      out.loss.backward();
      return out.loss;
    });
    opt.step();
    opt.zeroGrad();
    // read after the update is queued: on WebGPU the read waits for the whole step
    try { return await loss.item(); } finally { loss.dispose(); }
  };
  return {
    async run() { await step(); },
    async outputs() { return [Float32Array.of(await step(), await step())]; },
    outputsRuns: 2,
    dispose() { x.dispose(); y.dispose(); opt.dispose(); model.dispose(); },
  };
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

async function runRow(o: Opened, row: TrainRow, timing: TimingOptions, rates: Map<string, number>): Promise<Row> {
  const label = `${row.spec.label}, ${row.head}`;
  const result: Row = { id: `${row.spec.name}-${row.head}`, label, cells: [], tolerance: 1e-3 };
  const software = [...o.gmgrad.values(), ...o.tfjs.values()].some((i) => i.software);
  let reference: Classifier | null = null;
  try {
    for (const id of o.ids) {
      const reason = o.unavailable.get(id);
      if (reason !== undefined) { result.cells.push(naCell(id, 'unavailable', reason)); continue; }
      const isGpu = implInfo(id).family === 'webgpu';
      const batch = isGpu && software ? Math.min(SOFTWARE_GPU_BATCH, row.batch) : row.batch;
      const variant = batch !== row.batch ? `batch ${batch}` : undefined;
      const flop = row.spec.trainFlopPerImage * batch;
      const known = rates.get(id); // FLOP/s of this implementation on the model before
      if (known && (flop / known) * 1000 > MAX_STEP_MS) {
        const s = flop / known;
        const cell = naCell(id, `est. ${s.toFixed(0)} s/step`, `the time per step, extrapolated from the FLOP rate of the model before, is over the ${MAX_STEP_MS / 1000} s cap (try --batch or --backends)`);
        reportCell(label, cell, 'images/s');
        result.cells.push(cell);
        continue;
      }
      const g = o.gmgrad.get(id), t = o.tfjs.get(id);
      const cell = await timeCell(id, async () => {
        if (g) return countingSteps(await prepareGmgrad(g, row, batch), isGpu);
        reference ??= await referenceModel(row.spec, row.head);
        return countingSteps(await prepareTfjs(t!, row, batch, reference), isGpu);
      }, isGpu ? { ...timing, coldOnlyMs: Math.max(timing.coldOnlyMs, 60_000) } : timing, batch, variant);
      if (cell.status === 'ok' && !(isGpu && cell.cold)) rates.set(id, flop / (cell.ms! / 1000));
      reportCell(label, cell, 'images/s');
      result.cells.push(cell);
    }
  } finally {
    (reference as Classifier | null)?.dispose();
  }
  checkAgreement(result);
  return result;
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseArgs(process.argv.slice(2), ['models', 'head', 'batch']);
  } catch (e) {
    if (e instanceof HelpRequested) { console.log((await import('./lib/usage.js')).usage('train')); return; }
    throw e;
  }
  const head = headArg(args);
  const batch = intArg(args, 'batch', 64, 2);
  const names = (args.extra.get('models') ?? (args.quick ? 'small-cnn' : 'small-cnn,lenet,resnet20')).split(',');
  const rows: TrainRow[] = names.map((n) => {
    const spec = MODEL_SPECS[n as keyof typeof MODEL_SPECS];
    if (!spec) throw new Error(`--models: unknown '${n}' (known: ${Object.keys(MODEL_SPECS).join(', ')})`);
    return { spec, batch, head };
  }).filter((r) => rowSelected(args, `${r.spec.name}-${r.head}`));
  // slow cells: the two checked steps alone stand for the measurement beyond coldOnlyMs
  const timing: TimingOptions = args.quick
    ? { warmup: 1, minRuns: 1, maxRuns: 3, budgetMs: (args.budgetS ?? 1.5) * 1000, coldOnlyMs: 8_000 }
    : { warmup: 1, minRuns: 2, maxRuns: 8, budgetMs: (args.budgetS ?? 4) * 1000, coldOnlyMs: 20_000 };
  const o = await openImpls(selectedImpls(args));
  process.stderr.write(`train: ${rows.length} models × ${o.ids.length} implementations, batch ${batch}\n`);
  const started = performance.now();
  const results: Row[] = [];
  const rates = new Map<string, number>();
  for (const row of rows) results.push(await runRow(o, row, timing, rates));
  const elapsed = (performance.now() - started) / 1000;
  const tables = renderRows(o, results, {
    rowTitle: `model (batch ${batch})`, unit: 'ms/step  img/s',
    format: (c) => `${fmtMs(c.ms!)}  ${fmtRate(c.rate!)}`,
  });
  const m = machineInfo();
  const header = [
    `${m.cpu}, ${m.cores} cores, load ${(m.loadAverage as number).toFixed(2)} at start; ${m.node}`,
    `one step = forward + backward + SGD (lr ${LR}, momentum ${MOMENTUM}) on a fixed random batch; median after two checked steps`,
    'speed-up = peer ms / gmgrad ms (>1: gmgrad faster)',
    'agree: the losses of steps 1 and 2 against TF.js from the same weights (relative, tolerance 1e-3)',
  ];
  const gpu = o.gmgrad.get('webgpu');
  const overhead = gpu ? await dispatchOverheadUs(gpu.backend) : null;
  const notes = [...dispatchNotes(results), ...(overhead ? [`webgpu dispatch overhead: ${overhead.us.toFixed(1)} µs per op (2000 tiny ops recorded back to back, then one read)`] : [])];
  console.log(renderSection(`gmgrad vs TF.js training (${elapsed.toFixed(0)} s)`, `${header.join('\n')}\n\n${tables}${notes.length ? `\n\n${notes.join('\n')}` : ''}`, []));
  const file = writeResults('train', args, { rows: rowsForJson(results), elapsedS: elapsed, dispatchOverheadUs: overhead?.us ?? null });
  if (file) console.log(`\nresults: ${file}`);
  closeImpls(o);
  if (!results.every(rowAgrees)) process.exitCode = 1;
}

runBench(main);

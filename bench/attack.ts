/**
 * Attack benchmark: L∞ PGD-40 (ε 0.3, step 0.01, no random start, cross-entropy objective) on a
 * batch of 256 MNIST-shaped images against the small CNN (random weights, GM head by default),
 * per gmgrad backend (the library's PGD attack) and TF.js running the same loop: a clean forward,
 * 40 × (input gradient of the summed cross-entropy, sign, step, project onto the ε-ball, clip to
 * [0, 1]), then two forwards for the summary — what gmgrad's PGD.run does.
 *
 *   npm run bench:attack -- [--quick] [--steps 40] [--batch 256] [--head gm|softmax] [--backends ...]
 *
 * Slow backends run fewer steps (chosen from a first timed gradient so that a cell stays within
 * its budget); the table reports the time of PGD-40 extrapolated from them (marked ~), so
 * speed-ups compare per-step rates. Agreement: the input gradient at the clean batch.
 */
import { runBench } from './lib/run-bench.js';
import { crossEntropy, PGD, sum, tensor, valueAndGrad, type Classifier, type Tensor } from '../src/index.js';
import type * as TF from '@tensorflow/tfjs-core';
import { HelpRequested, headArg, intArg, parseArgs, rowSelected, type BenchArgs } from './lib/args.js';
import { nchwToNhwc, nhwcToNchw, seededLabels, seededUniform } from './lib/data.js';
import type { GmgradImpl } from './lib/gmgrad.js';
import {
  checkAgreement, closeImpls, rowAgrees, naCell, openImpls, renderRows, rowsForJson, timeCell,
  type Opened, type Prepared, type Row,
} from './lib/harness.js';
import { implInfo, selectedImpls } from './lib/impls.js';
import { buildModel, MODEL_SPECS, referenceModel } from './lib/models.js';
import { reportCell } from './lib/progress.js';
import { machineInfo, writeResults } from './lib/results.js';
import { fmtMs, fmtRate, renderSection } from './lib/table.js';
import { activate, readTf, type TfjsImpl } from './lib/tfjs.js';
import { makeConv2d } from './lib/tfjs-conv.js';
import { crossEntropySumTf } from './lib/tfjs-gm.js';
import { tfClassifierFrom } from './lib/tfjs-models.js';
import type { TimingOptions } from './lib/timing.js';

const EPSILON = 0.3, STEP = 0.01;
/** images on a software WebGPU adapter (both sides) */
const SOFTWARE_GPU_BATCH = 2;

interface AttackRow { batch: number; steps: number; head: 'gm' | 'softmax'; stepBudgetMs: number }

const spec = MODEL_SPECS['small-cnn'];

function inputs(batch: number): { x: Float32Array; y: Int32Array } {
  const [c, h, w] = spec.inputShape;
  return { x: seededUniform(batch * c * h * w, 41, 0, 1), y: seededLabels(batch, 10, 42) };
}

/**
 * Steps that fit the budget, from the time of one gradient (a PGD step is a bit more); 0 when a
 * single gradient already exceeds it: the attack is then not run, its time is steps × gradient.
 */
function stepsFor(row: AttackRow, gradientMs: number): number {
  if (gradientMs > row.stepBudgetMs) return 0;
  return Math.max(1, Math.min(row.steps, Math.floor(row.stepBudgetMs / (gradientMs * 1.1))));
}

/** time a second, warm gradient unless the first one already took most of the budget */
async function warmGradientMs(row: AttackRow, firstMs: number, again: () => Promise<void>): Promise<number> {
  if (firstMs > row.stepBudgetMs / 2) return firstMs;
  const t0 = performance.now();
  await again();
  return performance.now() - t0;
}

async function prepareGmgrad(impl: GmgradImpl, row: AttackRow, batch: number): Promise<Prepared> {
  const be = impl.backend;
  const model = buildModel(spec, row.head, be);
  model.eval();
  const d = inputs(batch);
  const x = tensor(d.x, { shape: [batch, ...spec.inputShape], backend: be });
  const labels = tensor(d.y, { shape: [batch], dtype: 'int32', backend: be });
  let attack: PGD | null = null;
  const p: Prepared = {
    // the agreement output; a second, warm gradient times a step (it sets how many to run)
    async outputs() {
      const gradient = () => valueAndGrad((xi: Tensor) => sum(crossEntropy(model.forward(xi), labels, { reduction: 'none' })))(x);
      const t0 = performance.now();
      const first = gradient();
      try {
        const g = Float32Array.from(await first.grads[0]!.data() as ArrayLike<number>);
        const gradMs = await warmGradientMs(row, performance.now() - t0, async () => {
          const again = gradient();
          await again.grads[0]!.data();
          again.value.dispose(); again.grads[0]!.dispose();
        });
        const steps = stepsFor(row, gradMs);
        if (steps > 0) attack = new PGD({ epsilon: EPSILON, alpha: STEP, steps, randomStart: false });
        p.work = batch * steps;
        p.extra = { steps, gradMs };
        return [g];
      } finally {
        first.value.dispose();
        for (const t of first.grads) t.dispose();
      }
    },
    async run() {
      if (!attack) return;
      const r = await attack.run(model, x, labels);
      p.extra!.fooled = r.success.filter(Boolean).length / batch;
      r.adversarial.dispose();
    },
    dispose() { x.dispose(); labels.dispose(); model.dispose(); },
  };
  return p;
}

async function prepareTfjs(impl: TfjsImpl, row: AttackRow, batch: number, reference: Classifier): Promise<Prepared> {
  const tf = impl.tf;
  await activate(impl);
  const model = await tfClassifierFrom(tf, makeConv2d(tf, false), reference);
  const [c, h, w] = spec.inputShape;
  const d = inputs(batch);
  const x = tf.tensor4d(nchwToNhwc(d.x, batch, c, h, w), [batch, h, w, c]);
  const labels = tf.tensor1d(d.y, 'int32');
  const oneHot = tf.tidy(() => tf.cast(tf.oneHot(labels, 10), 'float32')) as TF.Tensor2D;
  const lower = tf.sub(x, EPSILON), upper = tf.add(x, EPSILON);
  const gradient = tf.grad((xi: TF.Tensor) => crossEntropySumTf(tf, model.logits(xi as TF.Tensor4D), oneHot));
  let steps = row.steps;
  const p: Prepared = {
    async outputs() {
      const t0 = performance.now();
      const g = gradient(x);
      try {
        const v = nhwcToNchw(await readTf(g), batch, c, h, w);
        const gradMs = await warmGradientMs(row, performance.now() - t0, async () => {
          const again = gradient(x);
          await again.data();
          again.dispose();
        });
        steps = stepsFor(row, gradMs);
        p.work = batch * steps;
        p.extra = { steps, gradMs };
        return [v];
      } finally {
        g.dispose();
      }
    },
    async run() {
      if (steps === 0) return;
      // clean predictions, as the attack's bookkeeping does
      const clean = tf.tidy(() => tf.argMax(model.logits(x), 1));
      let adv = tf.clone(x);
      for (let s = 0; s < steps; s++) {
        const next = tf.tidy(() => {
          const moved = tf.add(adv, tf.mul(tf.sign(gradient(adv)), STEP));
          return tf.clipByValue(tf.minimum(tf.maximum(moved, lower), upper), 0, 1);
        });
        adv.dispose();
        adv = next as TF.Tensor4D;
      }
      // the final assessment and the summary: two forwards on the result, read back
      const fooled = tf.tidy(() => {
        tf.argMax(model.logits(adv), 1);
        return tf.sum(tf.cast(tf.notEqual(tf.argMax(model.logits(adv), 1), labels), 'float32'));
      });
      p.extra!.fooled = (await fooled.data())[0]! / batch;
      for (const t of [clean, adv, fooled]) t.dispose();
    },
    dispose() { for (const t of [x, labels, oneHot, lower, upper]) t.dispose(); model.dispose(); },
  };
  return p;
}

async function runRow(o: Opened, row: AttackRow, timing: TimingOptions): Promise<Row> {
  const label = `PGD-${row.steps} small CNN, ${row.head}`;
  const result: Row = { id: `pgd-${row.head}`, label, cells: [], tolerance: 1e-3, fractionTolerance: 1e-3 };
  const software = [...o.gmgrad.values(), ...o.tfjs.values()].some((i) => i.software);
  let reference: Classifier | null = null;
  try {
    for (const id of o.ids) {
      const reason = o.unavailable.get(id);
      if (reason !== undefined) { result.cells.push(naCell(id, 'unavailable', reason)); continue; }
      const isGpu = implInfo(id).family === 'webgpu';
      const batch = isGpu && software ? Math.min(SOFTWARE_GPU_BATCH, row.batch) : row.batch;
      const variant = batch !== row.batch ? `batch ${batch}` : undefined;
      const g = o.gmgrad.get(id), t = o.tfjs.get(id);
      const cell = await timeCell(id, async () => {
        if (g) return prepareGmgrad(g, row, batch);
        reference ??= await referenceModel(spec, row.head);
        return prepareTfjs(t!, row, batch, reference);
      }, timing, batch, variant);
      if (cell.status === 'ok') {
        // PGD-<steps> time: measured, or (fewer steps run) the run plus the missing steps at the
        // warm gradient's time; the rate is images per second of the whole attack
        const ran = cell.extra!.steps as number;
        cell.extra!.measuredMs = ran > 0 ? cell.ms : 0;
        // a step costs at most the measured attack's average (the probe gradient may be a cold one)
        const stepMs = ran > 0 ? Math.min(cell.extra!.gradMs as number, cell.ms! / ran) : cell.extra!.gradMs as number;
        cell.ms = (ran > 0 ? cell.ms! : 0) + (row.steps - ran) * stepMs;
        cell.rate = batch / (cell.ms / 1000);
      }
      reportCell(label, cell, 'images/s (PGD)');
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
    args = parseArgs(process.argv.slice(2), ['steps', 'batch', 'head']);
  } catch (e) {
    if (e instanceof HelpRequested) { console.log((await import('./lib/usage.js')).usage('attack')); return; }
    throw e;
  }
  const head = headArg(args);
  const batch = intArg(args, 'batch', 256, 1), steps = intArg(args, 'steps', 40, 1);
  // each cell: the gradient probe, then PGD runs within the budget (at least one)
  const stepBudgetMs = (args.budgetS ?? (args.quick ? 4 : 15)) * 1000;
  const timing: TimingOptions = { warmup: 1, minRuns: 1, maxRuns: args.quick ? 1 : 3, budgetMs: stepBudgetMs, coldOnlyMs: Infinity };
  const rows: AttackRow[] = [{ batch, steps, head, stepBudgetMs }].filter((r) => rowSelected(args, `pgd-${r.head}`));
  const o = await openImpls(selectedImpls(args, 'attack'));
  process.stderr.write(`attack: PGD-${steps}, batch ${batch}, ${o.ids.length} implementations\n`);
  const started = performance.now();
  const results: Row[] = [];
  for (const row of rows) results.push(await runRow(o, row, timing));
  const elapsed = (performance.now() - started) / 1000;
  const tables = renderRows(o, results, {
    rowTitle: `attack (batch ${batch})`, unit: `ms/step  img/s`,
    format: (c) => {
      const ran = c.extra!.steps as number;
      return `${ran === 0 ? '≈' : ran < steps ? '~' : ''}${fmtMs(c.ms! / steps)}  ${fmtRate(c.rate!)}`;
    },
  });
  const m = machineInfo();
  const header = [
    `${m.cpu}, ${m.cores} cores, load ${(m.loadAverage as number).toFixed(2)} at start; ${m.node}`,
    `L∞ PGD, ε ${EPSILON}, step ${STEP}, no random start, cross-entropy of the ${head === 'gm' ? 'GM logits (−½‖f − μ_k‖²)' : 'softmax logits'}; random weights`,
    `ms/step = time of PGD-${steps} / ${steps}; img/s = images / time of PGD-${steps}; ~: fewer steps were run (to fit the budget), the missing ones counted at the warm input-gradient time; ≈: one (cold) gradient exceeded the budget, the attack was not run and its time is ${steps} such gradients, an upper bound (steps per cell in the JSON)`,
    'speed-up = peer time / gmgrad time for the same number of steps (>1: gmgrad faster)',
    'agree: the input gradient of the summed cross-entropy at the clean batch against TF.js: share of values off by > 1e-3 of its scale (at most 0.1%: a max-pool near-tie picks another maximum in a few windows), and the max relative Δ',
  ];
  console.log(renderSection(`gmgrad vs TF.js adversarial attack (${elapsed.toFixed(0)} s)`, `${header.join('\n')}\n\n${tables}`, []));
  const file = writeResults('attack', args, { rows: rowsForJson(results), elapsedS: elapsed });
  if (file) console.log(`\nresults: ${file}`);
  closeImpls(o);
  if (!results.every(rowAgrees)) process.exitCode = 1;
}

runBench(main);

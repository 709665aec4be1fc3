/**
 * The WebGPU training hot path, counted: the library's training loop (trainLoop) runs steps of
 * the tiny CNN and of ResNet-20 while the backend counts dispatches, submits, read-backs (buffer
 * maps the CPU waits for), uploads and bind groups created. Per steady-state step: exactly one
 * read-back (the loop's loss/accuracy/finite-guard vector), no per-op reads; uploads never force a
 * submit (they go through the staging ring), so submits are only the dispatch batches and the
 * read's; dispatch counts stay under a budget (a regression guard: fusions undone would show; at
 * this writing 83 for the tiny CNN and about 450 for ResNet-20, of which the loop's finite-gradient
 * guard takes three per parameter tensor), and by the fourth step most bind groups come from the
 * cache.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { createWebGpuBackend, type WebGpuBackend, type WebGpuStats } from '../../src/backends/webgpu/create.js';
import { trainLoop, type BatchSource, type HostBatch } from '../../src/train/trainer.js';
import { rng } from '../helpers/seeded-rng.js';

const DISPATCHES_PER_SUBMIT = 128;

let backend: WebGpuBackend | null = null;
try {
  backend = await createWebGpuBackend({ dispatchesPerSubmit: DISPATCHES_PER_SUBMIT });
} catch (e) {
  if (process.env.CI) throw e;
}
afterAll(() => backend?.dispose());

function source(shape: number[], batch: number, steps: number): BatchSource {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    length: steps,
    async *epoch(e: number): AsyncIterable<HostBatch> {
      const r = rng(e + 1);
      for (let s = 0; s < steps; s++) {
        yield { x: Float32Array.from({ length: batch * size }, () => r()), y: Int32Array.from({ length: batch }, () => Math.floor(r() * 10)), size: batch };
      }
    },
  };
}

type Counts = Pick<WebGpuStats, 'dispatches' | 'submits' | 'reads' | 'uploads' | 'bindGroups'>;

async function countSteps(model: 'tiny-cnn' | 'resnet20', shape: number[], batch: number): Promise<Counts[]> {
  const b = backend!;
  const m = g.createModel(model, { head: 'gm', featureDim: 16, inputShape: shape, backend: b });
  const opt = new g.SGD(m.parameters(), { lr: 0.01, momentum: 0.9 });
  const snapshots: Counts[] = [];
  const snap = () => { const s = b.stats(); snapshots.push({ dispatches: s.dispatches, submits: s.submits, reads: s.reads, uploads: s.uploads, bindGroups: s.bindGroups }); };
  snap();
  await trainLoop({
    model: m, optimizer: opt as unknown as g.Optimizer<{ lr: number }>, schedule: () => 0.01, train: source(shape, batch, 4),
    imageShape: shape, epochs: 1, backend: b, onStep: snap,
  });
  opt.dispose();
  m.dispose();
  // per step: the difference between consecutive snapshots (each taken after the step's read)
  return snapshots.slice(1).map((s, i) => {
    const p = snapshots[i]!;
    return { dispatches: s.dispatches - p.dispatches, submits: s.submits - p.submits, reads: s.reads - p.reads, uploads: s.uploads - p.uploads, bindGroups: s.bindGroups - p.bindGroups };
  });
}

describe.skipIf(!backend)('the WebGPU training step, counted', () => {
  it.each([
    ['tiny-cnn', [1, 28, 28], 4, 100],
    ['resnet20', [3, 32, 32], 1, 600],
  ] as const)('%s: one read-back per step, uploads that never submit, dispatches within budget', async (model, shape, batch, budget) => {
    const steps = await countSteps(model, [...shape], batch);
    for (const s of steps.slice(1)) {
      expect(s.reads, `${model}: read-backs per step`).toBe(1);
      // the batch (x, y) only: a batch norm's step counter is written when the buffers are read
      expect(s.uploads, `${model}: uploads per step`).toBe(2);
      expect(s.dispatches, `${model}: dispatches per step`).toBeLessThanOrEqual(budget);
      // full batches of dispatches, and the read's submit: uploads add none
      expect(s.submits, `${model}: submits per step`).toBeLessThanOrEqual(Math.ceil(s.dispatches / DISPATCHES_PER_SUBMIT) + 1);
    }
    const last = steps[steps.length - 1]!;
    expect(last.bindGroups, `${model}: bind groups created in the last step`).toBeLessThanOrEqual(last.dispatches / 2);
  }, 300_000);
});

/**
 * A PyTorch training cell: gmgrad's reference model (its state dict under gmgrad's names) and the
 * batch go to reference.py through a safetensors file, so PyTorch trains the same network from the
 * same weights on the same images; its losses of the first two steps are the agreement check.
 */
import { unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';
import type { Classifier } from '../../src/index.js';
import type { Prepared } from './harness.js';
import type { TorchImpl } from './torch.js';

export interface TorchTraining {
  model: string;
  head: 'gm' | 'softmax';
  alpha: number;
  lambda: number;
  likelihood: string;
  lr: number;
  momentum: number;
  /** [N, C, H, W] and its data, labels [N] */
  inputShape: number[];
  x: Float32Array;
  y: Int32Array;
}

let files = 0;

/** the state dict and the batch, as reference.py reads them */
export async function exportForTorch(reference: Classifier, t: Pick<TorchTraining, 'inputShape' | 'x' | 'y'>): Promise<Uint8Array> {
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, tensor] of reference.stateDict()) {
    const data = await tensor.data();
    const dtype = tensor.dtype === 'float32' ? 'F32' : tensor.dtype === 'float64' ? 'F64' : 'I32';
    tensors[name] = { dtype, shape: [...tensor.shape], data };
  }
  tensors.input = { dtype: 'F32', shape: [...t.inputShape], data: t.x };
  tensors.labels = { dtype: 'I32', shape: [t.y.length], data: t.y };
  return encodeSafetensors(tensors, { source: 'gmgrad bench:train' });
}

export async function prepareTorch(impl: TorchImpl, reference: Classifier, t: TorchTraining): Promise<Prepared> {
  const file = path.join(tmpdir(), `gmgrad-bench-${process.pid}-${files++}.safetensors`);
  writeFileSync(file, await exportForTorch(reference, t));
  const id = path.basename(file);
  const threads = impl.threads;
  const p: Prepared = {
    async outputs() {
      const r = await impl.peer.request({
        cmd: 'prepare', id, file, model: t.model, head: t.head, alpha: t.alpha, lambda: t.lambda, likelihood: t.likelihood,
        lr: t.lr, momentum: t.momentum, threads,
      });
      const notes = r.notes as string[];
      if (notes.length) p.remark = notes.join('; ');
      return [Float32Array.from(r.losses as number[])];
    },
    outputsRuns: 2,
    async run() { await impl.peer.request({ cmd: 'run', id, steps: 1, threads }); },
    async runTimed(n) { return (await impl.peer.request({ cmd: 'run', id, steps: n, threads })).ms as number[]; },
    dispose() {
      impl.peer.request({ cmd: 'dispose', id }).catch(() => { /* the process is gone: nothing to free */ });
      try { unlinkSync(file); } catch { /* already removed */ }
    },
  };
  return p;
}

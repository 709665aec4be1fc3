/**
 * `bench:train -- --memory`: the peak resident set of a training run (default: ResNet-20, batch 128,
 * 200 steps, two threads) for gmgrad's wasm backend and for PyTorch, each in a fresh process of its
 * own (bench/train-memory-child.ts; reference.py), so that neither peak includes the other or this
 * benchmark. The target: gmgrad's peak no larger than PyTorch's.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { referenceModel, type ModelSpec } from './models.js';
import { renderTable } from './table.js';
import { probeTorch, TorchPeer } from './torch.js';
import { exportForTorch } from './torch-train.js';
import { batchData, LR, MOMENTUM } from './train-gmgrad.js';

interface Peak { maxRssKiB: number; msPerStep: number }

function gmgradPeak(spec: ModelSpec, batch: number, steps: number, threads: number): Peak {
  const child = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'train-memory-child.js');
  const r = spawnSync(process.execPath, [child, spec.name, String(batch), String(steps), String(threads)], { encoding: 'utf8', timeout: 3_600_000 });
  if (r.status !== 0) throw new Error(`gmgrad memory run failed (${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Peak;
}

async function torchPeak(spec: ModelSpec, batch: number, steps: number, threads: number): Promise<Peak | string> {
  const info = probeTorch();
  if ('unavailable' in info) return info.unavailable;
  const reference = await referenceModel(spec, 'gm');
  const d = batchData(spec, batch);
  const file = path.join(tmpdir(), `gmgrad-bench-memory-${process.pid}.safetensors`);
  try {
    writeFileSync(file, await exportForTorch(reference, { inputShape: [batch, ...spec.inputShape], x: d.x, y: d.y }));
  } finally {
    reference.dispose();
  }
  const peer = new TorchPeer(info);
  try {
    await peer.request({
      cmd: 'prepare', id: 'memory', file, model: spec.name, head: 'gm', alpha: spec.alpha, lambda: spec.lambda,
      likelihood: 'true-class', lr: LR, momentum: MOMENTUM, threads,
    });
    // prepare ran two steps
    const ms = (await peer.request({ cmd: 'run', id: 'memory', steps: Math.max(0, steps - 2), threads })).ms as number[];
    const rss = (await peer.request({ cmd: 'rss' })).maxRssKiB as number;
    return { maxRssKiB: rss, msPerStep: ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length) };
  } finally {
    peer.close();
    unlinkSync(file);
  }
}

export async function compareMemory(spec: ModelSpec, batch: number, steps: number, threads: number): Promise<string> {
  process.stderr.write(`memory: ${spec.name}, batch ${batch}, ${steps} steps, ${threads} threads: gmgrad…\n`);
  const g = gmgradPeak(spec, batch, steps, threads);
  process.stderr.write('memory: PyTorch…\n');
  const t = await torchPeak(spec, batch, steps, threads);
  const mib = (kib: number) => (kib / 1024).toFixed(0);
  const rows = [['gmgrad wasm', mib(g.maxRssKiB), g.msPerStep.toFixed(0)]];
  rows.push(typeof t === 'string' ? ['PyTorch', `n/a (${t})`, ''] : ['PyTorch', mib(t.maxRssKiB), t.msPerStep.toFixed(0)]);
  const verdict = typeof t === 'string' ? '—' : g.maxRssKiB <= t.maxRssKiB ? 'pass' : 'FAIL';
  return [
    `peak resident memory of a ${steps}-step ${spec.label} run, batch ${batch}, ${threads} threads, each in a fresh process`,
    '',
    renderTable([{ title: 'implementation', align: 'left' }, { title: 'peak RSS', unit: 'MiB' }, { title: 'mean step', unit: 'ms' }], rows),
    '',
    `target: gmgrad's peak no larger than PyTorch's: ${verdict}`,
  ].join('\n');
}

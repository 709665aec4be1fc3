/**
 * Dispatch cost, measured the same way for gmgrad and TF.js: while counting, Dawn's
 * GPUComputePassEncoder.dispatchWorkgroups, GPUQueue.submit and GPUBuffer.mapAsync are wrapped
 * (process-wide: every WebGPU user in the process goes through the `webgpu` package's classes)
 * and their calls counted. Counting is on only for one extra, untimed training step per cell,
 * never while steps are timed.
 *
 * Reported per WebGPU cell: dispatches, submits and buffer maps (read-backs the CPU waits for)
 * per step, and the step time per dispatch; plus gmgrad's dispatch overhead, the time per op of a
 * long run of tiny ops (record, submit, run), which is what a layer costs when its arithmetic is
 * negligible.
 */
import type { Backend } from '../../src/index.js';
import type { Cell, Prepared, Row } from './harness.js';
import { implInfo } from './impls.js';

export interface GpuCalls { dispatches: number; submits: number; maps: number }

interface Patched { proto: Record<string, unknown>; name: string; original: (...a: unknown[]) => unknown }

function classOf(name: string): { prototype: Record<string, unknown> } | undefined {
  return (globalThis as Record<string, unknown>)[name] as { prototype: Record<string, unknown> } | undefined;
}

/** Runs `work` with the three WebGPU entry points counted. */
export async function countGpuCalls(work: () => Promise<unknown>): Promise<GpuCalls> {
  const counts: GpuCalls = { dispatches: 0, submits: 0, maps: 0 };
  const targets: [string, string, keyof GpuCalls][] = [
    ['GPUComputePassEncoder', 'dispatchWorkgroups', 'dispatches'], ['GPUQueue', 'submit', 'submits'], ['GPUBuffer', 'mapAsync', 'maps'],
  ];
  const patched: Patched[] = [];
  try {
    for (const [cls, name, key] of targets) {
      const proto = classOf(cls)?.prototype;
      const original = proto?.[name];
      if (!proto || typeof original !== 'function') continue;
      patched.push({ proto, name, original: original as (...a: unknown[]) => unknown });
      proto[name] = function (this: unknown, ...args: unknown[]) {
        counts[key]++;
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
    await work();
  } finally {
    for (const p of patched) p.proto[p.name] = p.original;
  }
  return counts;
}

/**
 * A WebGPU cell's Prepared with one more (untimed) step after the checked ones, counted; the
 * counts land in the cell's extra.gpuCalls. Other cells pass through.
 */
export function countingSteps(p: Prepared, gpu: boolean): Prepared {
  if (!gpu) return p;
  const extra: Record<string, unknown> = { ...p.extra };
  return {
    ...p,
    extra,
    outputsRuns: (p.outputsRuns ?? 1) + 1,
    async outputs() {
      const out = await p.outputs();
      extra.gpuCalls = await countGpuCalls(() => p.run());
      return out;
    },
  };
}

function callsOf(c: Cell): GpuCalls | undefined {
  return c.extra?.gpuCalls as GpuCalls | undefined;
}

/** The notes under the training table: per row and WebGPU implementation, the counts per step. */
export function dispatchNotes(rows: readonly Row[]): string[] {
  const lines: string[] = [];
  for (const row of rows) {
    const parts = row.cells.filter((c) => c.status === 'ok' && implInfo(c.impl).family === 'webgpu' && callsOf(c)).map((c) => {
      const k = callsOf(c)!;
      const perDispatch = k.dispatches > 0 ? `, ${((c.ms! * 1000) / k.dispatches).toFixed(1)} µs of the step per dispatch` : '';
      return `${c.impl} ${k.dispatches} dispatches, ${k.submits} submit${k.submits === 1 ? '' : 's'}, ${k.maps} map${k.maps === 1 ? '' : 's'}${perDispatch}`;
    });
    if (parts.length) lines.push(`${row.label}: ${parts.join('; ')}`);
  }
  return lines.length ? ['per training step (one extra untimed step, counted at the WebGPU API):', ...lines.map((l) => `  ${l}`)] : [];
}

/**
 * gmgrad's cost per dispatch: `ops` tiny ops (a negation of 64 values, each a dispatch and a
 * pooled allocation) recorded back to back, then one read; µs per op, median of three runs.
 */
export async function dispatchOverheadUs(b: Backend, ops = 2000): Promise<{ us: number; dispatches: number }> {
  const x = b.upload(new Float32Array(64).fill(1));
  const once = async () => {
    const t = performance.now();
    let cur = b.unary('neg', x);
    for (let i = 1; i < ops; i++) {
      const next = b.unary('neg', cur);
      b.free(cur);
      cur = next;
    }
    await b.read(cur);
    b.free(cur);
    return ((performance.now() - t) * 1000) / ops;
  };
  try {
    await once();
    let calls: GpuCalls = { dispatches: 0, submits: 0, maps: 0 };
    const samples: number[] = [];
    calls = await countGpuCalls(async () => { samples.push(await once()); });
    samples.push(await once(), await once());
    samples.sort((a, c) => a - c);
    return { us: samples[1]!, dispatches: calls.dispatches };
  } finally {
    b.free(x);
  }
}

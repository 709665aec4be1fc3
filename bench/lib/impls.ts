/**
 * The implementations every benchmark row is run on: gmgrad's backends, their TF.js peers and (in
 * the training benchmark) PyTorch on the CPU. Speed-ups pair each gmgrad backend with the peer on
 * the same kind of hardware.
 */
import type { BenchArgs } from './args.js';

export type ImplId = 'cpu' | 'wasm1' | 'wasm' | 'webgpu' | 'tfjs-cpu' | 'tfjs-wasm' | 'tfjs-webgpu' | 'torch1' | 'torch';
export type Family = 'cpu' | 'wasm' | 'webgpu';

export interface ImplInfo {
  id: ImplId;
  side: 'gmgrad' | 'tfjs' | 'torch';
  family: Family;
  /** the one benchmark that has this peer */
  only?: 'train';
}

export const IMPLS: readonly ImplInfo[] = [
  { id: 'cpu', side: 'gmgrad', family: 'cpu' },
  { id: 'tfjs-cpu', side: 'tfjs', family: 'cpu' },
  { id: 'wasm1', side: 'gmgrad', family: 'wasm' },
  { id: 'wasm', side: 'gmgrad', family: 'wasm' },
  { id: 'tfjs-wasm', side: 'tfjs', family: 'wasm' },
  // PyTorch on one thread and on one per core, as wasm1 and wasm
  { id: 'torch1', side: 'torch', family: 'wasm', only: 'train' },
  { id: 'torch', side: 'torch', family: 'wasm', only: 'train' },
  { id: 'webgpu', side: 'gmgrad', family: 'webgpu' },
  { id: 'tfjs-webgpu', side: 'tfjs', family: 'webgpu' },
];

/** [gmgrad, peer] pairs whose ratio is printed */
export const PAIRS: readonly [ImplId, ImplId][] = [
  ['cpu', 'tfjs-cpu'], ['wasm1', 'tfjs-wasm'], ['wasm', 'tfjs-wasm'], ['wasm1', 'torch1'], ['wasm', 'torch'], ['webgpu', 'tfjs-webgpu'],
  // thread scaling: one thread's time over one per core's
  ['wasm', 'wasm1'],
];

export function implInfo(id: ImplId): ImplInfo {
  return IMPLS.find((i) => i.id === id)!;
}

/** the ids the --backends filter keeps, in table order (peers the benchmark has not are left out) */
export function selectedImpls(args: BenchArgs, bench: 'kernels' | 'train' | 'attack'): ImplId[] {
  const here = IMPLS.filter((i) => i.only === undefined || i.only === bench);
  if (!args.backends) return here.map((i) => i.id);
  const keep = new Set<ImplId>();
  for (const token of args.backends) {
    // an id names one implementation ('torch'), a side every one of it ('gmgrad', 'tfjs')
    const byId = IMPLS.filter((i) => i.id === token);
    const matches = byId.length ? byId : IMPLS.filter((i) => token === 'all' || i.side === token);
    if (!matches.length) {
      throw new Error(`--backends: unknown '${token}' (known: ${IMPLS.map((i) => i.id).join(', ')}, gmgrad, tfjs, torch, all)`);
    }
    const absent = matches.filter((m) => !here.includes(m));
    if (absent.length === matches.length) throw new Error(`--backends: ${token} only runs in bench:${absent[0]!.only}`);
    for (const m of matches) if (here.includes(m)) keep.add(m.id);
  }
  return here.map((i) => i.id).filter((id) => keep.has(id));
}

/** An implementation that could not be opened prints this in every cell. */
export interface Unavailable {
  ok: false;
  reason: string;
}

export function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : typeof e === 'object' && e && 'message' in e ? String((e as { message: unknown }).message) : String(e);
  return msg.split('\n')[0]!.slice(0, 160);
}

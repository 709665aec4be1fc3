/**
 * The implementations every benchmark row is run on: gmgrad's backends and their TF.js peers.
 * Speed-ups pair each gmgrad backend with the peer on the same kind of hardware.
 */
import type { BenchArgs } from './args.js';

export type ImplId = 'cpu' | 'wasm1' | 'wasm' | 'webgpu' | 'tfjs-cpu' | 'tfjs-wasm' | 'tfjs-webgpu';
export type Family = 'cpu' | 'wasm' | 'webgpu';

export interface ImplInfo {
  id: ImplId;
  side: 'gmgrad' | 'tfjs';
  family: Family;
}

export const IMPLS: readonly ImplInfo[] = [
  { id: 'cpu', side: 'gmgrad', family: 'cpu' },
  { id: 'tfjs-cpu', side: 'tfjs', family: 'cpu' },
  { id: 'wasm1', side: 'gmgrad', family: 'wasm' },
  { id: 'wasm', side: 'gmgrad', family: 'wasm' },
  { id: 'tfjs-wasm', side: 'tfjs', family: 'wasm' },
  { id: 'webgpu', side: 'gmgrad', family: 'webgpu' },
  { id: 'tfjs-webgpu', side: 'tfjs', family: 'webgpu' },
];

/** [gmgrad, peer] pairs whose ratio is printed */
export const PAIRS: readonly [ImplId, ImplId][] = [
  ['cpu', 'tfjs-cpu'], ['wasm1', 'tfjs-wasm'], ['wasm', 'tfjs-wasm'], ['webgpu', 'tfjs-webgpu'],
];

export function implInfo(id: ImplId): ImplInfo {
  return IMPLS.find((i) => i.id === id)!;
}

/** the ids the --backends filter keeps, in table order */
export function selectedImpls(args: BenchArgs): ImplId[] {
  if (!args.backends) return IMPLS.map((i) => i.id);
  const keep = new Set<ImplId>();
  for (const token of args.backends) {
    const matches = IMPLS.filter((i) => token === 'all' || i.id === token || i.side === token);
    if (!matches.length) {
      throw new Error(`--backends: unknown '${token}' (known: ${IMPLS.map((i) => i.id).join(', ')}, gmgrad, tfjs, all)`);
    }
    for (const m of matches) keep.add(m.id);
  }
  return IMPLS.map((i) => i.id).filter((id) => keep.has(id));
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

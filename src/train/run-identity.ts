/**
 * What makes a training run this run: its recipe (every configuration field that changes the
 * computation) and fingerprints of its data. A resume must match it exactly, except for the number
 * of epochs, which may grow (not under a cosine or one-cycle schedule, whose curve depends on it); where it runs
 * (folder, backend, threads) is free.
 */
import { createHash } from 'node:crypto';
import type { ImageData } from '../data/dataset.js';
import { ADVERSARIAL_FIELDS, flagOfField, type TrainConfig } from './config.js';

export interface RunIdentity {
  recipe: Record<string, unknown>;
  data: { dataset: string; train: DataFingerprint; test: DataFingerprint };
}

export interface DataFingerprint {
  n: number;
  shape: number[];
  sha256: string;
}

/** Configuration fields that do not change what is computed. */
const FREE: readonly (keyof TrainConfig)[] = ['out', 'dataDir', 'backend', 'threads', 'epochs'];

export function fingerprint(d: ImageData): DataFingerprint {
  const h = createHash('sha256');
  h.update(new Uint8Array(d.images.buffer, d.images.byteOffset, d.images.byteLength));
  h.update(Int32Array.from(d.labels));
  return { n: d.n, shape: [d.c, d.h, d.w], sha256: h.digest('hex') };
}

/**
 * Settings that change nothing in this configuration: the adversarial ones while adversarial
 * training is off (so runs committed before it existed still resume), TRADES' β under PGD-AT.
 */
function inert(c: TrainConfig): readonly string[] {
  if (c.adversarial === undefined || c.adversarial === 'none') return ADVERSARIAL_FIELDS;
  return c.adversarial === 'trades' ? [] : ['tradesBeta'];
}

export function runIdentity(c: TrainConfig, train: ImageData, test: ImageData): RunIdentity {
  const recipe: Record<string, unknown> = {};
  const skip = inert(c);
  for (const [k, v] of Object.entries(c)) if (!FREE.includes(k as keyof TrainConfig) && !skip.includes(k) && v !== undefined) recipe[k] = v;
  return { recipe, data: { dataset: c.dataset, train: fingerprint(train), test: fingerprint(test) } };
}

const show = (v: unknown) => JSON.stringify(v) ?? 'unset';


/** What differs between the committed run and the one asked for, one phrase each (empty: the same run). */
export function identityMismatches(committed: RunIdentity, now: RunIdentity): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(committed.recipe ?? {}), ...Object.keys(now.recipe)]);
  for (const k of keys) {
    const a = committed.recipe?.[k], b = now.recipe[k];
    if (show(a) !== show(b)) out.push(`${flagOfField(k)} is ${show(b)} but the run used ${show(a)}`);
  }
  for (const split of ['train', 'test'] as const) {
    const a = committed.data?.[split], b = now.data[split];
    if (!a) { out.push(`the run records no ${split} data`); continue; }
    if (a.n !== b.n) out.push(`the ${split} set has ${b.n} images but the run used ${a.n}`);
    else if (a.sha256 !== b.sha256 || show(a.shape) !== show(b.shape)) out.push(`the ${split} images differ from the run's (sha256 ${b.sha256.slice(0, 12)}… vs ${a.sha256.slice(0, 12)}…)`);
  }
  return out;
}

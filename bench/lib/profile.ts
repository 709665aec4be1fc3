/**
 * bench:train --profile: where a training step's time goes on a gmgrad backend, measured by
 * wrapping, for a few steps, every method and accelerated kernel of the backend instance (time per
 * op kind: top-level calls only, so nested helpers are not counted twice), the allocations of a
 * host reference (allocate/free: the time spent allocating), the wasm runtime's dispatch (time inside
 * the generated kernels, and which kernels ran: Winograd or direct) and the thread pool's wait
 * (the caller idle until the other thread's share is done: hand-off and imbalance). Convolutions
 * and batch norms are attributed to their layer through their weight's storage (the weight
 * gradient through the forward's input). Nothing here changes what the step computes.
 */
import type { Backend, Conv2dParams, Storage } from '../../src/core/backend.js';
import { BatchNorm2d, Conv2d } from '../../src/nn/layers.js';
import type { Module } from '../../src/nn/module.js';
import { convFlops } from './step-flops.js';
import type { Trainer } from './train-gmgrad.js';

interface Acc { ms: number; calls: number }
export interface LayerPass { ms: number; flops: number; algorithms: Set<string> }
export interface LayerProfile { name: string; kind: 'conv' | 'bn'; shape: string; passes: Map<string, LayerPass> }

export interface StepProfile {
  steps: number;
  msPerStep: number;
  flopPerStep: number;
  opKinds: Array<[string, Acc]>;
  /** ms per step: inside kernels, waiting for workers, JS inside backend ops, of which allocation, outside backend ops */
  kernelsMs: number; waitedMs: number; jsInOpsMs: number; allocMs: number; outsideMs: number;
  takenOver: number;
  layers: LayerProfile[];
}

/** methods of a host backend's reference that allocate or free storage */
const ALLOCATION = ['allocate', 'free'];
const KEYED = new Set(['unary', 'binary', 'reduce']);

/** Conv2d and BatchNorm2d modules by name (walking the module tree) */
function layersOf(m: Module, prefix = ''): Array<[string, Module]> {
  const out: Array<[string, Module]> = [];
  for (const [n, c] of m.children()) {
    const name = prefix ? `${prefix}.${n}` : n;
    if (c instanceof Conv2d || c instanceof BatchNorm2d) out.push([name, c]);
    out.push(...layersOf(c, name));
  }
  return out;
}

/** 'winogradForward_m4r3' → 'F(4,3)'; the implicit-GEMM drivers → 'implicit', the packed ones → 'direct' */
function algorithmOf(driver: string): string | null {
  const w = /^winograd\w*_m(\d+)r(\d+)$/.exec(driver);
  if (w) return `F(${w[1]},${w[2]})`;
  if (driver.startsWith('convImplicit')) return 'implicit';
  // the weight gradient's closing sum of the threads' partials belongs to the implicit pass
  if (driver === 'convTransposeSum') return null;
  if (driver.startsWith('conv')) return driver === 'convBackwardInputCol2im' ? 'col2im' : 'direct';
  return null;
}

export async function profileSteps(be: Backend, trainer: Trainer, steps: number): Promise<StepProfile> {
  for (let i = 0; i < 2; i++) await trainer.step(); // JIT, scratch, pools
  const opKinds = new Map<string, Acc>();
  const convByWeight = new Map<Storage, LayerProfile>(), bnByWeight = new Map<Storage, LayerProfile>();
  // a block's input feeds two convolutions (conv1 and a shortcut): the weight gradient finds its layer by input and shape
  const convByInput = new Map<Storage, Array<[string, LayerProfile]>>();
  const shapeKey = (p: Conv2dParams) => [p.inC, p.outC, p.kH, p.kW, p.strideH, p.strideW, p.padTop, p.padLeft].join(',');
  for (const [name, m] of layersOf(trainer.model.backbone)) {
    const weight = m.namedParameters().find(([n]) => n === 'weight')?.[1];
    if (!weight) continue;
    const layer: LayerProfile = { name, kind: m instanceof Conv2d ? 'conv' : 'bn', shape: '', passes: new Map() };
    (m instanceof Conv2d ? convByWeight : bnByWeight).set(weight.storage, layer);
  }
  let depth = 0, kernelsMs = 0, allocMs = 0, flops = 0;
  let current: LayerPass | null = null;
  const obj = be as unknown as Record<string, unknown>;
  const names = new Set<string>();
  for (let p = Object.getPrototypeOf(be); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) if (n !== 'constructor' && typeof obj[n] === 'function') names.add(n);
  }
  /** every wrapped function, to restore afterwards */
  const restore: Array<[Record<string, unknown>, string, unknown, boolean]> = [];
  const wrap = (target: Record<string, unknown>, name: string, make: (f: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown) => {
    const own = Object.prototype.hasOwnProperty.call(target, name);
    restore.push([target, name, target[name], own]);
    target[name] = make(target[name] as (...a: unknown[]) => unknown);
  };
  const passOf = (name: string, args: unknown[]): LayerPass | null => {
    let layer: LayerProfile | undefined, pass = '';
    if (name === 'conv2d') {
      layer = convByWeight.get(args[1] as Storage);
      if (layer) {
        const p = args[2] as Conv2dParams;
        const list = convByInput.get(args[0] as Storage) ?? [];
        list.push([shapeKey(p), layer]);
        convByInput.set(args[0] as Storage, list);
        layer.shape = `${p.inC}→${p.outC} ${p.kH}×${p.kW}${p.strideH > 1 ? ` /${p.strideH}` : ''} ${p.outH}×${p.outW}`;
      }
      pass = 'forward';
    } else if (name === 'conv2dBackwardInput') { layer = convByWeight.get(args[1] as Storage); pass = 'input grad'; }
    else if (name === 'conv2dBackwardWeight') {
      const key = shapeKey(args[2] as Conv2dParams);
      layer = convByInput.get(args[0] as Storage)?.find(([k]) => k === key)?.[1];
      pass = 'weight grad';
    }
    else if (name === 'batchNormForward') { layer = bnByWeight.get(args[1] as Storage); pass = 'forward'; }
    else if (name === 'batchNormBackward') { layer = bnByWeight.get(args[4] as Storage); pass = 'backward'; }
    else if (name === 'batchNormReluForward') { layer = bnByWeight.get(args[2] as Storage); pass = 'forward'; }
    else if (name === 'batchNormReluBackward') { layer = bnByWeight.get(args[5] as Storage); pass = 'backward'; }
    if (!layer) return null;
    let lp = layer.passes.get(pass);
    if (!lp) { lp = { ms: 0, flops: 0, algorithms: new Set() }; layer.passes.set(pass, lp); }
    if (name.startsWith('conv2d')) lp.flops += convFlops(args[2] as Conv2dParams);
    return lp;
  };
  // the host backend whose allocate/free make storages: the wasm backend's reference, or the CPU backend itself
  const host = (be as unknown as { reference?: Record<string, unknown> }).reference ?? (typeof obj.allocate === 'function' ? obj : null);
  for (const name of host ? ALLOCATION : []) {
    wrap(host!, name, (f) => (...args: unknown[]) => {
      const t = performance.now();
      try { return f.apply(host, args); } finally { allocMs += performance.now() - t; }
    });
  }
  const timedOp = (name: string, f: (...a: unknown[]) => unknown) => (...args: unknown[]) => {
    const top = depth === 0;
    // nested helpers run untimed (their clock reads would be counted as the op's JavaScript)
    if (!top) return f.apply(be, args);
    depth++;
    const lp = top ? passOf(name, args) : null;
    if (top) current = lp;
    const t = performance.now();
    try {
      return f.apply(be, args);
    } finally {
      const dt = performance.now() - t;
      depth--;
      if (top) {
        const key = KEYED.has(name) ? `${name}(${String(args[0])})` : name;
        const acc = opKinds.get(key) ?? { ms: 0, calls: 0 };
        acc.ms += dt; acc.calls++;
        opKinds.set(key, acc);
        if (lp) lp.ms += dt;
        if (name.startsWith('conv2d')) flops += convFlops(args[2] as Conv2dParams);
        if (name === 'matmul') { const p = args[2] as { batch: number; m: number; n: number; k: number }; flops += 2 * p.batch * p.m * p.n * p.k; }
        current = null;
      }
    }
  };
  for (const name of names) wrap(obj, name, (f) => timedOp(name, f));
  const accelerated = be.accelerated as Record<string, unknown>;
  for (const name of Object.keys(accelerated)) wrap(accelerated, name, (f) => timedOp(name, f));
  // the wasm runtime, when there is one
  const kernels = (be as unknown as { kernels?: { dispatch: (d: string, ...r: unknown[]) => void; pool?: { timing: boolean; waitedMs: number; sharesTakenOver: number } } }).kernels;
  const dispatch = kernels?.dispatch;
  if (kernels && dispatch) {
    kernels.dispatch = (driver: string, ...rest: unknown[]) => {
      const t = performance.now();
      try { return dispatch.call(kernels, driver, ...rest); } finally {
        kernelsMs += performance.now() - t;
        const algo = algorithmOf(driver);
        if (algo && current) (current as LayerPass).algorithms.add(algo);
      }
    };
  }
  const pool = kernels?.pool;
  if (pool) { pool.timing = true; pool.waitedMs = 0; pool.sharesTakenOver = 0; }
  const t0 = performance.now();
  try {
    for (let i = 0; i < steps; i++) await trainer.step();
  } finally {
    for (const [target, name, f, own] of restore.reverse()) { if (own) target[name] = f; else delete target[name]; }
    if (kernels && dispatch) delete (kernels as Record<string, unknown>).dispatch;
    if (pool) pool.timing = false;
  }
  const per = (v: number) => v / steps;
  const wall = performance.now() - t0;
  const inOps = [...opKinds.values()].reduce((s, a) => s + a.ms, 0);
  const waited = pool?.waitedMs ?? 0;
  const layers = [...convByWeight.values(), ...bnByWeight.values()].filter((l) => l.passes.size > 0);
  for (const l of layers) for (const p of l.passes.values()) { p.ms /= steps; p.flops /= steps; }
  return {
    steps, msPerStep: per(wall), flopPerStep: per(flops),
    opKinds: [...opKinds].map(([k, a]) => [k, { ms: per(a.ms), calls: per(a.calls) }] as [string, Acc]).sort((a, b) => b[1].ms - a[1].ms),
    kernelsMs: per(kernelsMs - waited), waitedMs: per(waited), jsInOpsMs: per(inOps - kernelsMs), allocMs: per(allocMs),
    outsideMs: per(wall - inOps), takenOver: per(pool?.sharesTakenOver ?? 0), layers,
  };
}

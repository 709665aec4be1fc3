/**
 * Optimizer base: parameter groups with their own hyper-parameters (e.g. a learning-rate multiplier
 * for the GM class means), per-parameter state, and serialisable state for exact resume.
 */
import { keep } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { zerosLike } from '../ops/creation.js';

export interface ParamGroup<H> {
  params: Tensor[];
  /** hyper-parameters of this group (lr included); schedules write lr here */
  hyper: H;
  /** multiplies the scheduled learning rate for this group (default 1) */
  lrScale: number;
}

export interface ParamGroupInput<H> {
  params: Tensor[];
  lrScale?: number;
  hyper?: Partial<H>;
}

export abstract class Optimizer<H extends { lr: number }> {
  readonly groups: ParamGroup<H>[];
  stepCount = 0;
  protected readonly state = new Map<Tensor, Map<string, Tensor>>();

  constructor(params: Tensor[] | ParamGroupInput<H>[], defaults: H) {
    const inputs: ParamGroupInput<H>[] = params.length > 0 && !('params' in (params[0] as object))
      ? [{ params: params as Tensor[] }]
      : params as ParamGroupInput<H>[];
    this.groups = inputs.map((g) => ({ params: g.params, hyper: { ...defaults, ...g.hyper }, lrScale: g.lrScale ?? 1 }));
    const seen = new Set<Tensor>();
    for (const g of this.groups) for (const p of g.params) {
      if (seen.has(p)) throw new Error(`optimizer: parameter ${p.describe()} appears in more than one group`);
      seen.add(p);
    }
  }

  /** set the base learning rate of every group (their lrScale still applies) */
  setLearningRate(lr: number): void {
    for (const g of this.groups) g.hyper.lr = lr;
  }

  get learningRate(): number {
    return this.groups[0]?.hyper.lr ?? 0;
  }

  /** a state tensor for p, created zero-filled on first use and kept alive */
  protected stateFor(p: Tensor, name: string): Tensor {
    let s = this.state.get(p);
    if (!s) { s = new Map(); this.state.set(p, s); }
    let t = s.get(name);
    if (!t) { t = keep(zerosLike(p)); s.set(name, t); }
    return t;
  }

  protected hasState(p: Tensor, name: string): boolean {
    return this.state.get(p)?.has(name) ?? false;
  }

  /** Apply one update to every parameter that has a gradient. */
  step(): void {
    this.stepCount++;
    for (const g of this.groups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        this.update(p, p.grad, g.hyper, g.lrScale);
      }
    }
  }

  protected abstract update(p: Tensor, grad: Tensor, hyper: H, lrScale: number): void;

  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) { p.grad?.dispose(); p.grad = null; }
  }

  /** State tensors by "<group>.<index>.<name>" plus the step count, for checkpoints. */
  stateDict(): { step: number; tensors: Map<string, Tensor> } {
    const tensors = new Map<string, Tensor>();
    this.groups.forEach((g, gi) => g.params.forEach((p, pi) => {
      for (const [name, t] of this.state.get(p) ?? []) tensors.set(`${gi}.${pi}.${name}`, t);
    }));
    return { step: this.stepCount, tensors };
  }

  /** Restore from stateDict(); tensors may live on the CPU (they are uploaded to each param's backend). */
  loadStateDict(sd: { step: number; tensors: Map<string, Tensor> }, upload: (src: Tensor, like: Tensor) => Tensor): void {
    this.stepCount = sd.step;
    for (const [key, src] of sd.tensors) {
      const [gi, pi, name] = key.split('.');
      const p = this.groups[Number(gi)]?.params[Number(pi)];
      if (!p || !name) throw new Error(`optimizer.loadStateDict: '${key}' does not name a parameter of this optimizer`);
      if (src.size !== p.size) throw new Error(`optimizer.loadStateDict: '${key}' has ${src.size} elements, parameter ${p.describe()} has ${p.size}`);
      let s = this.state.get(p);
      if (!s) { s = new Map(); this.state.set(p, s); }
      s.get(name)?.dispose();
      s.set(name, keep(upload(src, p)));
    }
  }

  dispose(): void {
    for (const s of this.state.values()) for (const t of s.values()) t.dispose();
    this.state.clear();
  }
}

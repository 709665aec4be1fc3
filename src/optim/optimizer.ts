/**
 * Optimizer base: parameter groups with their own hyper-parameters (e.g. a learning-rate multiplier
 * for the GM class means), per-parameter state, and serialisable state for exact resume.
 */
import { keep } from '../core/scope.js';
import { Tensor } from '../core/tensor.js';
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
    const name = new.target.name;
    if (!Array.isArray(params)) throw new Error(`${name}: params must be an array of tensors or of { params } groups, got ${params === null ? 'null' : typeof params}`);
    const isGroup = (x: unknown) => typeof x === 'object' && x !== null && !(x instanceof Tensor) && 'params' in x;
    const inputs: ParamGroupInput<H>[] = params.length > 0 && !isGroup(params[0])
      ? [{ params: params as Tensor[] }]
      : params as ParamGroupInput<H>[];
    inputs.forEach((g, gi) => {
      if (!isGroup(g) || !Array.isArray(g.params)) throw new Error(`${name}: params[${gi}] must be a { params: Tensor[] } group`);
      g.params.forEach((p, pi) => {
        if (!(p instanceof Tensor) || p.isDisposed) throw new Error(`${name}: parameter ${pi} of group ${gi} must be a live Tensor, got ${p instanceof Tensor ? 'a disposed one' : p === null ? 'null' : typeof p}`);
      });
      if (g.lrScale !== undefined && !(Number.isFinite(g.lrScale) && g.lrScale >= 0)) throw new Error(`${name}: lrScale of group ${gi} must be a finite number >= 0, got ${g.lrScale}`);
    });
    if (inputs.every((g) => g.params.length === 0)) throw new Error(`${name}: no parameters to optimize (the parameter list is empty)`);
    for (const [k, v] of Object.entries(defaults)) {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`${name}: ${k} must be a finite number, got ${v}`);
    }
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

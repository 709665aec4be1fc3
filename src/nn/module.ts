/**
 * Module: named parameters, buffers and child modules, train/eval mode, and PyTorch-compatible
 * state dicts (`conv1.weight`, `bn1.running_mean`, `layer1.0.conv1.weight`).
 */
import type { Backend } from '../core/backend.js';
import { keep } from '../core/scope.js';
import { formatShape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { assignInPlace } from '../ops/assign.js';
import { cast } from '../ops/shape.js';
import { tensor } from '../ops/creation.js';

export abstract class Module {
  training = true;
  readonly #params = new Map<string, Tensor | null>();
  readonly #buffers = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();

  abstract forward(...inputs: Tensor[]): Tensor;

  /** forward, under a name that reads like PyTorch's module call */
  call(...inputs: Tensor[]): Tensor {
    return this.forward(...inputs);
  }

  /** Register a trainable leaf (kept alive past tidy scopes, requiresGrad set). */
  protected registerParameter(name: string, t: Tensor | null): Tensor | null {
    if (t) {
      keep(t);
      t.requiresGrad_();
      t.name = name;
    }
    this.#params.set(name, t);
    return t;
  }

  protected registerBuffer(name: string, t: Tensor): Tensor {
    keep(t);
    t.name = name;
    this.#buffers.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.#children.set(name, m);
    return m;
  }

  /** replace a parameter tensor (e.g. after loading); the old one is disposed */
  protected param(name: string): Tensor {
    const t = this.#params.get(name);
    if (!t) throw new Error(`${this.constructor.name}: no parameter '${name}'`);
    return t;
  }

  protected buffer(name: string): Tensor {
    const t = this.#buffers.get(name);
    if (!t) throw new Error(`${this.constructor.name}: no buffer '${name}'`);
    return t;
  }

  /** brings buffers a layer updates lazily up to date; called before they are listed */
  protected syncBuffers(): void {}

  children(): [string, Module][] {
    return [...this.#children.entries()];
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.#params) if (t) out.push([prefix + n, t]);
    for (const [n, m] of this.#children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    this.syncBuffers();
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.#buffers) out.push([prefix + n, t]);
    for (const [n, m] of this.#children) out.push(...m.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  train(mode = true): this {
    this.training = mode;
    for (const [, m] of this.#children) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** parameters and buffers by PyTorch name, in registration order */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copy values into this module's tensors (shapes must match; float dtypes are converted).
   * strict: every key must match both ways.
   */
  loadStateDict(state: Map<string, Tensor> | Record<string, Tensor>, strict = true): void {
    const entries = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    if (strict) {
      const missing = [...own.keys()].filter((k) => !entries.has(k));
      const unexpected = [...entries.keys()].filter((k) => !own.has(k));
      if (missing.length || unexpected.length) {
        throw new Error(`loadStateDict: ${missing.length ? `missing keys: ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected keys: ${unexpected.join(', ')}` : ''}`);
      }
    }
    for (const [k, target] of own) {
      const src = entries.get(k);
      if (!src) continue;
      if (src.size !== target.size || src.shape.length !== target.shape.length || src.shape.some((d, i) => d !== target.shape[i])) {
        throw new Error(`loadStateDict: '${k}' has shape ${formatShape(src.shape)} but the module expects ${formatShape(target.shape)}`);
      }
      let value = src;
      if (src.backend !== target.backend) {
        value = tensor(src.dataSync(), { shape: src.shape, dtype: src.dtype, backend: target.backend });
      }
      const converted = value.dtype === target.dtype ? cast(value, target.dtype, true) : cast(value, target.dtype);
      if (value !== src) value.dispose();
      assignInPlace(target, converted);
    }
  }

  /** Move every parameter and buffer to another backend (async: GPU readback). */
  async to(backend: Backend): Promise<this> {
    const state = this.stateDict();
    const moved = new Map<string, Tensor>();
    for (const [k, t] of state) {
      moved.set(k, tensor(await t.data(), { shape: t.shape, dtype: t.dtype, backend }));
    }
    this.#rehome(backend, moved, '');
    return this;
  }

  #rehome(backend: Backend, moved: Map<string, Tensor>, prefix: string): void {
    for (const [n, t] of this.#params) {
      if (!t) continue;
      const nt = keep(moved.get(prefix + n)!).requiresGrad_();
      nt.name = n;
      t.dispose();
      this.#params.set(n, nt);
    }
    for (const [n, t] of this.#buffers) {
      const nt = keep(moved.get(prefix + n)!);
      nt.name = n;
      t.dispose();
      this.#buffers.set(n, nt);
    }
    for (const [n, m] of this.#children) m.#rehome(backend, moved, `${prefix}${n}.`);
  }

  /** Free every parameter and buffer. */
  dispose(): void {
    // the buffers as they are: bringing a lazily updated one up to date first would be wasted work
    for (const [, t] of this.namedParameters()) t.dispose();
    this.#disposeBuffers();
  }

  #disposeBuffers(): void {
    for (const [, t] of this.#buffers) t.dispose();
    for (const [, m] of this.#children) m.#disposeBuffers();
  }
}

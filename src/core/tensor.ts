/**
 * The Tensor: a shape, a dtype, a backend storage (contiguous, row-major) and, when it was produced
 * by a differentiable op while gradients were being recorded, the graph node that made it.
 * Storages are reference-counted so reshape/detach share memory; dispose() drops one reference.
 */
import type { Backend, Storage } from './backend.js';
import type { DType, TypedArray } from './dtype.js';
import { formatShape, sizeOf, type Shape } from './shape.js';
import { trackTensor, keep } from './scope.js';

/** A storage shared by several tensors (reshape, detach). */
export class SharedStorage {
  refs = 1;
  constructor(readonly storage: Storage) {}
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) this.storage.backend.free(this.storage);
  }
}

/**
 * How an op's gradient flows to its inputs. `backward` receives the gradient of the output and a
 * mask of which inputs need a gradient, and returns one gradient (or null) per input.
 */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly backward: (grad: Tensor, needsGrad: readonly boolean[]) => readonly (Tensor | null)[];
}

let nextId = 1;

const finalizer = typeof FinalizationRegistry !== 'undefined'
  ? new FinalizationRegistry<SharedStorage>((s) => { if (s.refs > 0) s.release(); })
  : undefined;

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** the leaf's accumulated gradient after backward() */
  grad: Tensor | null = null;
  /** set on leaves that should receive gradients (parameters, inputs under attack) */
  requiresGrad: boolean;
  /** set on non-leaves produced by recorded ops */
  gradNode: GradNode | null;
  /** true once backward() has run through this tensor's graph and freed it */
  graphFreed = false;
  name?: string;
  #shared: SharedStorage | null;

  constructor(shared: SharedStorage, shape: Shape, dtype: DType, gradNode: GradNode | null = null, requiresGrad = false) {
    const n = sizeOf(shape);
    if (n !== shared.storage.size) {
      throw new Error(`Tensor: shape ${formatShape(shape)} holds ${n} elements but the storage holds ${shared.storage.size}`);
    }
    this.#shared = shared;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.gradNode = gradNode;
    this.requiresGrad = requiresGrad || gradNode !== null;
    finalizer?.register(this, shared, this);
    trackTensor(this);
  }

  get size(): number { return this.#shared ? this.#shared.storage.size : sizeOf(this.shape); }
  get rank(): number { return this.shape.length; }
  get ndim(): number { return this.shape.length; }
  get isDisposed(): boolean { return this.#shared === null; }
  get isLeaf(): boolean { return this.gradNode === null; }

  /** the backend storage; throws a clear error after dispose */
  get storage(): Storage {
    if (!this.#shared) {
      throw new Error(`Tensor ${this.describe()} was used after dispose()`);
    }
    return this.#shared.storage;
  }

  get backend(): Backend { return this.storage.backend; }
  get device(): string { return this.storage.backend.name; }

  /** share this tensor's storage under another shape (no copy) */
  shareStorage(): SharedStorage {
    if (!this.#shared) throw new Error(`Tensor ${this.describe()} was used after dispose()`);
    return this.#shared.retain();
  }

  describe(): string {
    return `${this.name ? `'${this.name}' ` : ''}#${this.id} ${formatShape(this.shape)} ${this.dtype}`;
  }

  /** Release this tensor's memory now (the GPU buffer returns to the pool). Idempotent. */
  dispose(): void {
    if (!this.#shared) return;
    finalizer?.unregister(this);
    const s = this.#shared;
    this.#shared = null;
    // gradNode is kept: a backward() that reaches this tensor must say it was disposed, not
    // silently treat it as a leaf and drop every gradient behind it
    s.release();
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** Mark this leaf as requiring gradients (in place); returns this. */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf && !flag) throw new Error(`requiresGrad_: ${this.describe()} is not a leaf; use detach()`);
    this.requiresGrad = flag;
    return this;
  }

  /** Keep this tensor alive past the enclosing tidy() scopes. */
  keep(): this {
    return keep(this);
  }

  /** Asynchronous readback of all elements in row-major order. */
  async data(): Promise<TypedArray> {
    return this.backend.read(this.storage);
  }

  /** Synchronous readback where the backend lives in host memory (cpu, wasm); throws otherwise. */
  dataSync(): TypedArray {
    const r = this.backend.readSync(this.storage);
    if (!r) throw new Error(`dataSync: backend '${this.backend.name}' cannot read synchronously; use await t.data()`);
    return r;
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: expected a tensor with one element, got ${this.describe()}`);
    return (await this.data())[0]!;
  }

  /** Nested arrays mirroring the shape. */
  async toArray(): Promise<NestedArray> {
    const flat = Array.from(await this.data());
    return nest(flat, this.shape);
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}, ${this.isDisposed ? 'disposed' : this.device})`;
  }
}

export type NestedArray = number | NestedArray[];

function nest(flat: number[], shape: readonly number[]): NestedArray {
  if (shape.length === 0) return flat[0]!;
  const [d, ...rest] = shape;
  const inner = sizeOf(rest);
  const out: NestedArray[] = [];
  for (let i = 0; i < d!; i++) out.push(nest(flat.slice(i * inner, (i + 1) * inner), rest));
  return out;
}

/** Wrap a freshly allocated storage in a tensor (used by ops). */
export function fromStorage(storage: Storage, shape: Shape, dtype: DType = storage.dtype): Tensor {
  return new Tensor(new SharedStorage(storage), shape, dtype);
}

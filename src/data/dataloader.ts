/**
 * Batches of host memory over an in-memory image dataset (platform-neutral).
 *
 * Determinism: the order of epoch e is words [e·n, (e+1)·n) of the Philox stream of `seed` (a
 * Fisher–Yates permutation), and the augmentation of the sample at position p of epoch e uses words
 * [(e·n + p)·3, …+3) of a second stream derived from `seed`. Both depend only on (seed, epoch,
 * position), never on how many batches were drawn before, so `--resume` at (epoch, batch)
 * reproduces the data exactly.
 *
 * Prefetching: while the caller works on batch i (typically awaiting the GPU), batch i+1 is built
 * on a macrotask (setImmediate, or setTimeout in browsers) so it is ready when asked for.
 */
import { checkSeed, Generator, philox4x32 } from '../core/random.js';
import { AUGMENT_WORDS_PER_SAMPLE, IDENTITY_TRANSFORM, drawTransform, writeImage, type AugmentOptions } from './augment.js';
import type { ImageData } from './dataset.js';

export interface DataLoaderOptions {
  batchSize: number;
  /** shuffle every epoch (default false) */
  shuffle?: boolean;
  /** seed of the shuffling and augmentation streams (default 0) */
  seed?: number;
  /** drop the last incomplete batch (default false) */
  dropLast?: boolean;
  /**
   * Per-channel normalisation applied after scaling to [0, 1]: x = (v/255 − mean[c]) / std[c].
   * Default: none, the inputs stay in [0, 1] (what attacks expect; prefer a normalisation layer in the model).
   */
  normalize?: { mean: number[]; std: number[] };
  /** CIFAR augmentation (random crop with zero padding + horizontal flip); true = padding 4 + flip */
  augment?: boolean | AugmentOptions;
  /** build the next batch ahead of time (default true) */
  prefetch?: boolean;
}

export interface HostBatch {
  /** size × c × h × w floats */
  x: Float32Array;
  y: Int32Array;
  size: number;
  /** the dataset index of every sample of the batch */
  indices: Int32Array;
  shape: [number, number, number, number];
}

/** Run `fn` on a later macrotask so the caller's pending work (e.g. GPU readbacks) interleaves with it. */
function later<T>(fn: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const run = () => { try { resolve(fn()); } catch (err) { reject(err); } };
    if (typeof setImmediate === 'function') setImmediate(run);
    else setTimeout(run, 0);
  });
}

export class DataLoader {
  readonly data: ImageData;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly prefetch: boolean;
  readonly augment: Required<AugmentOptions> | null;
  /** 256 output values per channel: the pixel → float map (scaling and normalisation) */
  readonly #tables: Float32Array;
  readonly #augmentSeed: number;
  #orderEpoch = -1;
  #order: Int32Array | null = null;

  constructor(data: ImageData, options: DataLoaderOptions) {
    if (typeof data !== 'object' || data === null || !ArrayBuffer.isView(data.images) || !ArrayBuffer.isView(data.labels)) {
      throw new Error('DataLoader: data must be { images: Uint8Array, labels, n, c, h, w } (a Dataset)');
    }
    if (typeof options !== 'object' || options === null) throw new Error('DataLoader: options { batchSize } are required');
    const { n, c, h, w } = data;
    for (const [k, v] of Object.entries({ n, c, h, w })) {
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`DataLoader: data.${k} must be a non-negative integer, got ${v}`);
    }
    if (data.images.length !== n * c * h * w) {
      throw new Error(`DataLoader: images hold ${data.images.length} bytes, expected n·c·h·w = ${n}·${c}·${h}·${w} = ${n * c * h * w}`);
    }
    if (data.labels.length !== n) throw new Error(`DataLoader: ${data.labels.length} labels for ${n} images`);
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new Error(`DataLoader: batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.data = data;
    this.batchSize = options.batchSize;
    this.shuffle = options.shuffle ?? false;
    this.seed = checkSeed('DataLoader', options.seed ?? 0);
    this.dropLast = options.dropLast ?? false;
    this.prefetch = options.prefetch ?? true;
    this.augment = options.augment
      ? { padding: 4, flip: true, ...(options.augment === true ? {} : options.augment) }
      : null;
    if (this.augment && (!Number.isInteger(this.augment.padding) || this.augment.padding < 0)) {
      throw new Error(`DataLoader: augment.padding must be a non-negative integer, got ${this.augment.padding}`);
    }
    this.#tables = valueTables(c, options.normalize);
    // An independent stream for augmentation: a different Philox key derived from the seed.
    this.#augmentSeed = philox4x32(this.seed, 0x61756720, 0, 0, 0x64617461, 0x6c6f6164)[0];
  }

  /** batches per epoch */
  get length(): number {
    const n = this.data.n;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample order of an epoch: a permutation depending only on (seed, epoch), or 0..n-1 without shuffling. */
  order(epoch: number): Int32Array {
    return this.#orderOf(epoch).slice();
  }

  #orderOf(epoch: number): Int32Array {
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`DataLoader: epoch must be a non-negative integer, got ${epoch}`);
    if (this.#orderEpoch === epoch && this.#order) return this.#order;
    const n = this.data.n;
    let order: Int32Array;
    if (this.shuffle) {
      const gen = new Generator(this.seed);
      gen.offset = epoch * n;
      order = gen.permutation(n);
    } else {
      order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
    }
    this.#orderEpoch = epoch;
    this.#order = order;
    return order;
  }

  /** Build batch `index` of `epoch` synchronously (deterministic; what the iterator yields). */
  batch(epoch: number, index: number): HostBatch {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new Error(`DataLoader: batch ${index} out of range (0..${this.length - 1} per epoch)`);
    }
    const { images, labels, n, c, h, w } = this.data;
    const start = index * this.batchSize;
    const size = Math.min(this.batchSize, n - start);
    const indices = this.#orderOf(epoch).slice(start, start + size);
    const per = c * h * w;
    const x = new Float32Array(size * per);
    const y = new Int32Array(size);
    let words: Uint32Array | null = null;
    if (this.augment) {
      const gen = new Generator(this.#augmentSeed);
      gen.offset = (epoch * n + start) * AUGMENT_WORDS_PER_SAMPLE;
      words = gen.words(size * AUGMENT_WORDS_PER_SAMPLE);
    }
    for (let k = 0; k < size; k++) {
      const i = indices[k]!;
      const t = words
        ? drawTransform(words[3 * k]!, words[3 * k + 1]!, words[3 * k + 2]!, this.augment!)
        : IDENTITY_TRANSFORM;
      writeImage(images, i * per, c, h, w, x, k * per, this.#tables, t);
      y[k] = labels[i]!;
    }
    return { x, y, size, indices, shape: [size, c, h, w] };
  }

  /** Iterate over the batches of an epoch, from `startBatch` on (for resuming mid-epoch). */
  async *epoch(epoch: number, startBatch = 0): AsyncGenerator<HostBatch, void, undefined> {
    const count = this.length;
    if (startBatch >= count) return;
    this.#orderOf(epoch); // validate the epoch before any batch is scheduled
    if (!this.prefetch) {
      for (let i = startBatch; i < count; i++) yield this.batch(epoch, i);
      return;
    }
    let next = later(() => this.batch(epoch, startBatch));
    for (let i = startBatch; i < count; i++) {
      const current = await next;
      if (i + 1 < count) {
        next = later(() => this.batch(epoch, i + 1));
        // If the caller stops early this batch is never awaited; don't let its failure go unhandled.
        next.catch(() => {});
      }
      yield current;
    }
  }
}

/** 256 floats per channel: v ↦ v/255, or (v/255 − mean[c]) / std[c]. */
function valueTables(c: number, normalize: DataLoaderOptions['normalize']): Float32Array {
  if (normalize && (normalize.mean.length !== c || normalize.std.length !== c)) {
    throw new Error(`DataLoader: normalize needs ${c} means and stds (one per channel), got ${normalize.mean.length} and ${normalize.std.length}`);
  }
  if (normalize && normalize.std.some((s) => !(s > 0))) throw new Error(`DataLoader: normalize.std must be positive, got [${normalize.std.join(', ')}]`);
  const tables = new Float32Array(c * 256);
  for (let ch = 0; ch < c; ch++) {
    for (let v = 0; v < 256; v++) {
      tables[ch * 256 + v] = normalize ? (v / 255 - normalize.mean[ch]!) / normalize.std[ch]! : v / 255;
    }
  }
  return tables;
}

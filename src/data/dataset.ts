/**
 * In-memory image datasets: the Dataset shape every loader returns, assembling one from verified
 * (uncompressed) file contents, and sequential / stratified slices for tests and quick runs.
 * Images are uint8 in N×C×H×W order; arrays may be shared between callers, so treat them as read-only.
 */
import { parseCifar10Batch, CIFAR10_IMAGE_BYTES } from './cifar.js';
import { parseIdxImages, parseIdxLabels } from './idx.js';
import type { DatasetSpec, Split } from './registry.js';

/** The minimum a DataLoader needs. */
export interface ImageData {
  /** n × c × h × w bytes, CHW per image */
  images: Uint8Array;
  labels: Uint8Array | Int32Array;
  n: number;
  c: number;
  h: number;
  w: number;
}

export interface Dataset extends ImageData {
  name: string;
  split: Split;
  classes: string[];
  /** where the data came from: a folder path, 'embedded MNIST test set (…)', a URL */
  source: string;
}

/**
 * Build a Dataset from the split's files, already decompressed and verified, in the order of
 * `spec.splits[split].files`. `source` is recorded in the result.
 */
export function decodeDataset(spec: DatasetSpec, split: Split, contents: Uint8Array[], source: string): Dataset {
  const files = spec.splits[split].files;
  if (contents.length !== files.length) {
    throw new Error(`${spec.name} ${split}: expected ${files.length} files (${files.map((f) => f.name).join(', ')}), got ${contents.length}`);
  }
  const [c, h, w] = spec.shape;
  const base = { name: spec.name, split, classes: spec.classes.slice(), source, c, h, w };
  if (spec.format === 'idx') {
    const images = parseIdxImages(contents[0]!, files[0]!.name);
    const labels = parseIdxLabels(contents[1]!, files[1]!.name);
    if (images.h !== h || images.w !== w) throw new Error(`${files[0]!.name}: images are ${images.h}×${images.w}, ${spec.title} has ${h}×${w}`);
    if (labels.length !== images.n) throw new Error(`${spec.name} ${split}: ${images.n} images but ${labels.length} labels`);
    checkLabels(labels, spec.classes.length, files[1]!.name);
    return { ...base, images: images.pixels, labels, n: images.n };
  }
  const batches = contents.map((bytes, i) => parseCifar10Batch(bytes, files[i]!.name, spec.classes.length));
  const n = batches.reduce((sum, b) => sum + b.n, 0);
  if (batches.length === 1) return { ...base, images: batches[0]!.images, labels: batches[0]!.labels, n };
  const images = new Uint8Array(n * CIFAR10_IMAGE_BYTES);
  const labels = new Uint8Array(n);
  let at = 0;
  for (const b of batches) {
    images.set(b.images, at * CIFAR10_IMAGE_BYTES);
    labels.set(b.labels, at);
    at += b.n;
  }
  return { ...base, images, labels, n };
}

function checkLabels(labels: Uint8Array, numClasses: number, fileName: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= numClasses) throw new Error(`${fileName}: label ${labels[i]} at index ${i} is outside 0..${numClasses - 1}`);
  }
}

/** Samples start..start+count-1 in file order, as views (no copy). */
export function slice<T extends ImageData>(data: T, start: number, count: number): T {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > data.n) {
    throw new Error(`slice: [${start}, ${start + count}) is not a range of samples of a dataset with n = ${data.n}`);
  }
  const per = data.c * data.h * data.w;
  return {
    ...data,
    images: data.images.subarray(start * per, (start + count) * per),
    labels: data.labels.subarray(start, start + count),
    n: count,
  };
}

/**
 * `count` samples balanced over the classes: class by class in label order, taking each class's
 * samples in file order (the k-th round takes the k-th sample of every class that still has one),
 * skipping the first `start` rounds. Deterministic; copies the selected images.
 */
export function stratifiedSlice<T extends ImageData>(data: T, count: number, start = 0): T & { indices: Int32Array } {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < data.n; i++) {
    const label = data.labels[i]!;
    let list = byClass.get(label);
    if (!list) byClass.set(label, (list = []));
    list.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const picked: number[] = [];
  const longest = Math.max(0, ...[...byClass.values()].map((l) => l.length));
  for (let round = start; round < longest && picked.length < count; round++) {
    for (const cls of classes) {
      const idx = byClass.get(cls)![round];
      if (idx !== undefined && picked.length < count) picked.push(idx);
    }
  }
  if (picked.length < count) {
    throw new Error(`stratifiedSlice: asked for ${count} samples from round ${start}, only ${picked.length} available (n = ${data.n})`);
  }
  return gather(data, Int32Array.from(picked));
}

/** Copy the samples at `indices` into a new dataset of the same kind. */
export function gather<T extends ImageData>(data: T, indices: Int32Array): T & { indices: Int32Array } {
  const per = data.c * data.h * data.w;
  const images = new Uint8Array(indices.length * per);
  const labels = data.labels instanceof Int32Array ? new Int32Array(indices.length) : new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (i < 0 || i >= data.n) throw new Error(`gather: index ${i} out of range for n = ${data.n}`);
    images.set(data.images.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = data.labels[i]!;
  }
  return { ...data, images, labels, n: indices.length, indices };
}

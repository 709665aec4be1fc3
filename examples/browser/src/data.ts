/**
 * Datasets served next to the page (see build/data-plugin.ts): a manifest, then IDX files, gzipped,
 * fetched and decompressed in the page with DecompressionStream (gunzipWeb).
 */
import { gunzipWeb, isGzip } from '../../../src/data/gzip.js';
import { parseIdxImages, parseIdxLabels } from '../../../src/data/idx.js';

export type Split = 'train' | 'test';

export interface DatasetEntry {
  id: string;
  label: string;
  splits: Split[];
  note: string;
}

/** What the engine's DataLoader takes. */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  c: number;
  h: number;
  w: number;
}

export interface LoadedDataset {
  entry: DatasetEntry;
  train: ImageSet;
  test: ImageSet;
  classNames: string[];
  /** one line for the page */
  summary: string;
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const FASHION = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Boot'];

/** How many of the embedded test images are held out when it is the only split. */
const HELD_OUT = 1000;

export async function loadManifest(): Promise<DatasetEntry[]> {
  const res = await fetch('./data/manifest.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`data/manifest.json: HTTP ${res.status} (is the page served by \`npm run browser\`?)`);
  const m = (await res.json()) as { datasets?: DatasetEntry[] };
  if (!m.datasets || m.datasets.length === 0) throw new Error('data/manifest.json lists no dataset');
  return m.datasets;
}

async function fetchIdx(id: string, file: string): Promise<Uint8Array> {
  const url = `./data/${id}/${file}`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  // a server may already have decoded a Content-Encoding: gzip; the content decides
  return isGzip(bytes) ? gunzipWeb(bytes, url) : bytes;
}

async function loadSplit(id: string, split: Split): Promise<ImageSet> {
  const prefix = split === 'train' ? 'train' : 't10k';
  const [imageBytes, labelBytes] = await Promise.all([
    fetchIdx(id, `${prefix}-images-idx3-ubyte.gz`),
    fetchIdx(id, `${prefix}-labels-idx1-ubyte.gz`),
  ]);
  const im = parseIdxImages(imageBytes, `${id}/${prefix}-images`);
  const labels = parseIdxLabels(labelBytes, `${id}/${prefix}-labels`);
  if (labels.length !== im.n) throw new Error(`${id} ${split}: ${im.n} images but ${labels.length} labels`);
  return { images: im.pixels, labels, n: im.n, c: 1, h: im.h, w: im.w };
}

/** Images [start, end) of a set (views, no copies). */
export function sliceSet(s: ImageSet, start: number, end: number): ImageSet {
  const per = s.c * s.h * s.w;
  return { images: s.images.subarray(start * per, end * per), labels: s.labels.subarray(start, end), n: end - start, c: s.c, h: s.h, w: s.w };
}

export async function loadDataset(entry: DatasetEntry): Promise<LoadedDataset> {
  const classNames = entry.id.startsWith('fashion') ? FASHION : DIGITS;
  if (entry.splits.includes('train') && entry.splits.includes('test')) {
    const [train, test] = await Promise.all([loadSplit(entry.id, 'train'), loadSplit(entry.id, 'test')]);
    return { entry, train, test, classNames, summary: `${entry.label}: ${train.n} training, ${test.n} test images` };
  }
  const { train, test } = splitHeldOut(await loadSplit(entry.id, 'test'));
  return { entry, classNames, train, test, summary: `${entry.label}: ${train.n} training, ${test.n} held-out images` };
}

/** A lone test split: the last 1 000 images are held out (probe, calibration, attacks), the rest train. */
export function splitHeldOut(all: ImageSet): { train: ImageSet; test: ImageSet } {
  const cut = Math.max(1, all.n - HELD_OUT);
  return { train: sliceSet(all, 0, cut), test: sliceSet(all, cut, all.n) };
}

/** Image i as floats in [0, 1] (what the model and the attacks take). */
export function imageFloats(s: ImageSet, i: number): Float32Array {
  const per = s.c * s.h * s.w;
  const out = new Float32Array(per);
  for (let j = 0; j < per; j++) out[j] = s.images[i * per + j]! / 255;
  return out;
}

/** Images [0, n) as one float batch [n·c·h·w] and their labels. */
export function firstImages(s: ImageSet, n: number): { x: Float32Array; y: Int32Array; n: number } {
  const count = Math.min(n, s.n);
  const per = s.c * s.h * s.w;
  const x = new Float32Array(count * per);
  for (let j = 0; j < count * per; j++) x[j] = s.images[j]! / 255;
  return { x, y: Int32Array.from(s.labels.subarray(0, count)), n: count };
}

/**
 * loadDataset: find a dataset's files, verify them, decode them, memoize the result.
 *
 * Places, in order: the explicit folder (--data DIR / dataDir), $GMGRAD_DATA, the user cache
 * (~/.cache/gmgrad/<dataset>, honouring XDG_CACHE_HOME), system folders (e.g. Debian's
 * /usr/share/datasets/fashion-mnist), the embedded MNIST test set, then a download from the mirrors
 * into the cache. A place is used only if all of the split's files are there and pass their sha256;
 * a bad file is named in a warning and the search goes on. If nothing works, one
 * DatasetNotFoundError lists every place with its reason and how to provide the files.
 *
 * Decoded datasets are memoized per process, keyed by the files' paths, sizes and mtimes, so each
 * file is read and checksummed once per process (and again only if it changes on disk).
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { ensureDir } from '../../io/node/folders.js';
import { decodeDataset, slice, type Dataset } from '../dataset.js';
import { getDatasetSpec, type DatasetSpec, type Mirror, type Split } from '../registry.js';
import { extractFromTarGz } from './archive.js';
import { downloadSplit } from './download.js';
import { DatasetNotFoundError, type Attempt } from './not-found.js';
import { userCacheDir } from './paths.js';
import { candidatePlaces, isDirectory, scanFolder, type FoundFile, type Place, type PlaceOptions } from './places.js';
import type { ProgressStream } from './progress.js';
import { DataFileError, readVerifiedFile } from './verify.js';

export interface LoadDatasetOptions extends PlaceOptions {
  split: Split;
  /** keep only the first `limit` samples (a view; the memoized full set is shared) */
  limit?: number;
  /** download from the mirrors when no local copy is found (default true) */
  allowDownload?: boolean;
  /** replaces the registry's download mirrors (tests, private mirrors) */
  mirrors?: Mirror[];
  /** show download progress on stderr (default true) */
  progress?: boolean;
  progressStream?: ProgressStream;
  /** give up on a download connection that stays silent this long, in ms (default 30 000) */
  idleTimeoutMs?: number;
  /** receives warnings about places skipped because of bad files (default: stderr) */
  log?: (line: string) => void;
}

const memo = new Map<string, Promise<Dataset>>();

/** Forget every memoized dataset (tests; or to force re-reading files that were replaced). */
export function clearDatasetMemo(): void {
  memo.clear();
}

async function fileKey(files: FoundFile[]): Promise<string> {
  const parts: string[] = [];
  for (const f of files) parts.push(`${await realpath(f.path)}:${f.size}:${f.mtimeMs}`);
  return parts.join('|');
}

/** Memoize `load` under `key`; a failed load is not remembered. */
function remember(key: string, load: () => Promise<Dataset>): Promise<Dataset> {
  const hit = memo.get(key);
  if (hit) return hit;
  const promise = load();
  memo.set(key, promise);
  promise.catch(() => memo.delete(key));
  return promise;
}

function sourceOf(place: Place): string {
  return place.kind === 'embedded' ? `embedded MNIST test set (${place.dir})` : place.dir!;
}

function describeMissing(spec: DatasetSpec, split: Split, found: (FoundFile | null)[]): string {
  const files = spec.splits[split].files;
  const missing = files.filter((_, i) => !found[i]).map((f) => `${f.name}[.gz]`);
  const present = found.filter((f): f is FoundFile => f !== null).map((f) => f.path);
  return `missing ${missing.join(', ')}${present.length ? ` (found only ${present.join(', ')})` : ''}`;
}

/**
 * Try one folder: the (memoized) dataset when it holds all of the split's files (or the dataset's
 * archive) and they verify; otherwise the problem, with `bad` set when files were there but unusable.
 */
async function tryPlace(spec: DatasetSpec, split: Split, place: Place): Promise<{ dataset: Promise<Dataset> } | { problem: string; bad: boolean }> {
  if (!place.dir) return { problem: place.note ?? 'not applicable', bad: false };
  if (!(await isDirectory(place.dir))) return { problem: 'folder does not exist', bad: false };
  const { files, archive } = await scanFolder(place.dir, spec, split);
  const fileSpecs = spec.splits[split].files;
  let load: (() => Promise<Dataset>) | null = null;
  let key = '';
  if (files.every((f) => f !== null)) {
    const found = files as FoundFile[];
    key = `${spec.name}|${split}|${await fileKey(found)}`;
    load = async () => {
      const contents: Uint8Array[] = [];
      for (let i = 0; i < found.length; i++) contents.push(await readVerifiedFile(found[i]!.path, fileSpecs[i]!));
      return decodeDataset(spec, split, contents, sourceOf(place));
    };
  } else if (archive) {
    // scanFolder only reports an archive for datasets distributed as one.
    const mirror = spec.mirrors.find((m): m is Extract<Mirror, { kind: 'tar.gz' }> => m.kind === 'tar.gz')!;
    key = `${spec.name}|${split}|${await fileKey([archive])}`;
    load = async () => {
      const contents = await extractFromTarGz(await readFile(archive.path), archive.path, mirror.memberDir, fileSpecs);
      return decodeDataset(spec, split, contents, archive.path);
    };
  }
  if (!load) return { problem: describeMissing(spec, split, files), bad: false };
  const dataset = remember(key, load);
  try {
    await dataset;
    return { dataset };
  } catch (err) {
    if (err instanceof DataFileError) return { problem: err.message, bad: true };
    return { problem: `unusable: ${(err as Error).message}`, bad: true };
  }
}

async function tryDownload(spec: DatasetSpec, split: Split, options: LoadDatasetOptions, cacheDir: string, attempts: Attempt[]): Promise<Dataset | null> {
  const mirrors = options.mirrors ?? spec.mirrors;
  if (options.allowDownload === false) {
    attempts.push({ place: 'download', problem: 'not attempted (downloads disabled: allowDownload false)' });
    return null;
  }
  if (mirrors.length === 0) {
    attempts.push({ place: 'download', problem: 'no mirrors configured' });
    return null;
  }
  try {
    await ensureDir(cacheDir, 'cache folder');
  } catch (err) {
    attempts.push({ place: `download into ${cacheDir}`, problem: `cannot create the cache folder: ${(err as Error).message}` });
    return null;
  }
  const result = await downloadSplit(spec, split, {
    cacheDir,
    mirrors,
    progress: options.progress,
    progressStream: options.progressStream,
    idleTimeoutMs: options.idleTimeoutMs,
  });
  if (!result.ok) {
    for (const f of result.failures) attempts.push({ place: `download ${f.url}`, problem: f.problem });
    return null;
  }
  const dataset = decodeDataset(spec, split, result.contents, `${cacheDir} (downloaded from ${result.url})`);
  const found: FoundFile[] = [];
  for (const path of result.paths) {
    const s = await stat(path);
    found.push({ path, size: s.size, mtimeMs: s.mtimeMs });
  }
  // Later loads find these files in the cache; remember them under the same key a cache hit would use.
  const cached: Dataset = { ...dataset, source: cacheDir };
  memo.set(`${spec.name}|${split}|${await fileKey(found)}`, Promise.resolve(cached));
  return dataset;
}

/**
 * Load a dataset split (see the file comment for where it is looked for). `dataset` is a registry
 * name ('mnist', 'fashion-mnist', 'cifar10') or a spec of the same shape for other data in these formats.
 */
export async function loadDataset(which: string | DatasetSpec, options: LoadDatasetOptions): Promise<Dataset> {
  const spec = typeof which === 'string' ? getDatasetSpec(which) : which;
  const name = spec.name;
  const split = options.split;
  if (split !== 'train' && split !== 'test') throw new Error(`loadDataset(${name}): split must be 'train' or 'test', got '${split}'`);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 0)) {
    throw new Error(`loadDataset(${name}): limit must be a non-negative integer, got ${options.limit}`);
  }
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = options.env ?? process.env;
  const cacheDir = userCacheDir(spec.name, env);
  const attempts: Attempt[] = [];
  let dataset: Dataset | null = null;
  let warned = false;
  for (const place of candidatePlaces(spec, split, options)) {
    const result = await tryPlace(spec, split, place);
    if ('dataset' in result) {
      dataset = await result.dataset;
      // the folder the user named was passed over: say so, and where the data came from instead
      if (place.kind !== 'explicit' && options.dataDir !== undefined && !warned) log(`gmgrad: --data ${options.dataDir} has no usable ${spec.name} ${split} files; using ${dataset.source}`);
      break;
    }
    attempts.push({ place: place.label, problem: result.problem });
    if (result.bad) { log(`gmgrad: not using ${place.label}: ${result.problem}`); warned ||= place.kind === 'explicit'; }
  }
  dataset ??= await tryDownload(spec, split, options, cacheDir, attempts);
  if (!dataset) throw new DatasetNotFoundError(spec.name, split, attempts, spec, cacheDir);
  return options.limit !== undefined ? slice(dataset, 0, Math.min(options.limit, dataset.n)) : dataset;
}

/**
 * Downloading a dataset split from its mirrors into the user cache. Every file goes to a temporary
 * name first, is decompressed and checked against the registry, and only then renamed into the
 * cache, so the cache never holds a partial or wrong file.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataFileSpec, DatasetSpec, Mirror, Split } from '../registry.js';
import { commitTempFile, tempPathFor, writeFileAtomic } from '../../io/node/atomic-write.js';
import { ensureDir, removeStaleTemporaries } from '../../io/node/folders.js';
import { extractFromTarGz } from './archive.js';
import { httpDownload } from './http-download.js';
import { createProgress, type ProgressStream } from './progress.js';
import { DataFileError, decodeAndVerify } from './verify.js';

export interface DownloadOptions {
  cacheDir: string;
  mirrors: Mirror[];
  /** show a progress display (default true) */
  progress?: boolean;
  progressStream?: ProgressStream;
  idleTimeoutMs?: number;
}

export interface DownloadFailure {
  url: string;
  problem: string;
}

export type DownloadResult =
  | { ok: true; contents: Uint8Array[]; paths: string[]; url: string }
  | { ok: false; failures: DownloadFailure[] };

/** A failure's reason for the error list, which already shows the URL (archive members keep their name). */
function reasonOf(err: unknown, url: string): string {
  if (err instanceof DataFileError) return err.path === url ? err.reason : err.message;
  return (err as Error).message;
}

async function fetchToTemp(url: string, finalPath: string, label: string, options: DownloadOptions): Promise<string> {
  const temp = tempPathFor(finalPath);
  const progress = options.progress === false ? null : createProgress(label, options.progressStream);
  try {
    const received = await httpDownload(url, temp, {
      idleTimeoutMs: options.idleTimeoutMs,
      onProgress: progress ? (r, t) => progress.update(r, t) : undefined,
    });
    progress?.done(received);
    return temp;
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Each file of the split from `<base><name>.gz`; the verified .gz is kept in the cache as downloaded. */
async function fromGzFiles(spec: DatasetSpec, files: DataFileSpec[], base: string, options: DownloadOptions): Promise<DownloadResult> {
  const contents: Uint8Array[] = [];
  const paths: string[] = [];
  for (const file of files) {
    const url = new URL(`${file.name}.gz`, base.endsWith('/') ? base : `${base}/`).href;
    const finalPath = join(options.cacheDir, `${file.name}.gz`);
    let temp: string | null = null;
    try {
      temp = await fetchToTemp(url, finalPath, `${spec.name}: ${file.name}.gz`, options);
      contents.push(await decodeAndVerify(await readFile(temp), file, url));
      await commitTempFile(temp, finalPath);
      temp = null;
      paths.push(finalPath);
    } catch (err) {
      if (temp) await rm(temp, { force: true });
      return { ok: false, failures: [{ url, problem: reasonOf(err, url) }] };
    }
  }
  return { ok: true, contents, paths, url: base };
}

/**
 * The whole archive; every data file it holds (all splits) is verified and stored uncompressed in the
 * cache, then the archive is deleted.
 */
async function fromTarGz(spec: DatasetSpec, split: Split, mirror: Extract<Mirror, { kind: 'tar.gz' }>, options: DownloadOptions): Promise<DownloadResult> {
  const archivePath = join(options.cacheDir, mirror.archiveName);
  let temp: string | null = null;
  try {
    temp = await fetchToTemp(mirror.url, archivePath, `${spec.name}: ${mirror.archiveName}`, options);
    const allFiles = [...spec.splits.train.files, ...spec.splits.test.files];
    const contents = await extractFromTarGz(await readFile(temp), mirror.url, mirror.memberDir, allFiles);
    for (let i = 0; i < allFiles.length; i++) await writeFileAtomic(join(options.cacheDir, allFiles[i]!.name), contents[i]!);
    const wanted = spec.splits[split].files;
    return {
      ok: true,
      contents: wanted.map((f) => contents[allFiles.indexOf(f)]!),
      paths: wanted.map((f) => join(options.cacheDir, f.name)),
      url: mirror.url,
    };
  } catch (err) {
    return { ok: false, failures: [{ url: mirror.url, problem: reasonOf(err, mirror.url) }] };
  } finally {
    if (temp) await rm(temp, { force: true });
  }
}

/** Try the mirrors in order; the first that delivers verified files wins. */
export async function downloadSplit(spec: DatasetSpec, split: Split, options: DownloadOptions): Promise<DownloadResult> {
  const failures: DownloadFailure[] = [];
  await ensureDir(options.cacheDir, 'cache folder');
  await removeStaleTemporaries(options.cacheDir); // left by downloads that were killed
  for (const mirror of options.mirrors) {
    const result = mirror.kind === 'gz-files'
      ? await fromGzFiles(spec, spec.splits[split].files, mirror.base, options)
      : await fromTarGz(spec, split, mirror, options);
    if (result.ok) return result;
    failures.push(...result.failures);
  }
  return { ok: false, failures };
}

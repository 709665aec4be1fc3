import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadSplit } from '../../src/data/node/download.js';
import { DatasetNotFoundError } from '../../src/data/node/not-found.js';
import { clearDatasetMemo, loadDataset } from '../../src/data/node/resolve.js';
import { EMBEDDED_MNIST, classCounts } from '../helpers/data.js';
import { makeMiniCifar } from './mini-cifar.js';

/** A local mirror: path → handler body, with a few misbehaving routes. */
const routes = new Map<string, Uint8Array>();
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/moved/')) { res.writeHead(302, { location: url.replace('/moved/', '/good/') }); res.end(); return; }
    if (url.startsWith('/cut/')) {
      // announce the whole file, send a third, then drop the connection
      const body = routes.get(url.replace('/cut/', '/good/'))!;
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, Math.floor(body.length / 3)), () => res.destroy());
      return;
    }
    const body = routes.get(url);
    if (!body) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const f of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
    const bytes = new Uint8Array(readFileSync(join(EMBEDDED_MNIST, f)));
    routes.set(`/good/${f}`, bytes);
    const damaged = bytes.slice();
    if (f.startsWith('t10k-labels')) damaged[damaged.length - 6] ^= 0xff;
    routes.set(`/damaged/${f}`, damaged);
  }
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => clearDatasetMemo());

function freshCache() {
  const xdg = mkdtempSync(join(tmpdir(), 'gmgrad-dl-'));
  return { xdg, dir: join(xdg, 'gmgrad', 'mnist') };
}

function progressSink() {
  const lines: string[] = [];
  return { lines, stream: { isTTY: false, write: (s: string) => { lines.push(s); return true; } } };
}

describe('downloading into the cache', () => {
  it('downloads, verifies, moves into the cache atomically, shows progress; the next load uses the cache', async () => {
    const { xdg, dir } = freshCache();
    const progress = progressSink();
    const ds = await loadDataset('mnist', {
      split: 'test', env: { XDG_CACHE_HOME: xdg }, embeddedDir: null,
      mirrors: [{ kind: 'gz-files', base: `${base}/moved/` }], progressStream: progress.stream, log: () => {},
    });
    expect(ds.source).toBe(`${dir} (downloaded from ${base}/moved/)`);
    expect(classCounts(ds.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(readdirSync(dir).sort()).toEqual(['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']);
    expect(Buffer.compare(readFileSync(join(dir, 't10k-images-idx3-ubyte.gz')), routes.get('/good/t10k-images-idx3-ubyte.gz')!)).toBe(0);
    const text = progress.lines.join('');
    expect(text).toContain('mnist: t10k-images-idx3-ubyte.gz');
    expect(text).toMatch(/\[[#.]{24}\]  [\d.]+ (B|KB|MB) \/ 1\.6 MB\s+\d+%  [\d.]+ (B|KB|MB)\/s\n/);
    expect(text).toMatch(/1\.6 MB in \d+\.\d s \(/);

    clearDatasetMemo();
    const again = await loadDataset('mnist', { split: 'test', env: { XDG_CACHE_HOME: xdg }, embeddedDir: null, allowDownload: false });
    expect(again.source).toBe(dir);
  });

  const failures: [string, string, RegExp][] = [
    ['a file that fails verification', 'damaged', /t10k-labels-idx1-ubyte\.gz: corrupt \(gzip data is damaged/],
    ['a missing file', 'nothing-here', /t10k-images-idx3-ubyte\.gz: HTTP 404/],
    ['a connection dropped mid-file', 'cut', /t10k-images-idx3-ubyte\.gz: (download interrupted after \d+ bytes|connection closed after \d+ of 1648877 bytes)/],
  ];
  for (const [what, route, expected] of failures) {
    it(`reports ${what} and keeps only verified files in the cache`, async () => {
      const { xdg, dir } = freshCache();
      const err = (await loadDataset('mnist', {
        split: 'test', env: { XDG_CACHE_HOME: xdg }, embeddedDir: null, progress: false,
        mirrors: [{ kind: 'gz-files', base: `${base}/${route}/` }],
      }).catch((e: unknown) => e)) as DatasetNotFoundError;
      expect(err).toBeInstanceOf(DatasetNotFoundError);
      const last = err.attempts[err.attempts.length - 1]!;
      expect(`${last.place}: ${last.problem}`).toMatch(expected);
      // only the images file (verified before the labels failed) may be there; no temporary files
      const left = readdirSync(dir);
      expect(left.filter((f) => f !== 't10k-images-idx3-ubyte.gz')).toEqual([]);
      if (route !== 'damaged') expect(left).toEqual([]);
    });
  }
});

describe('downloading a tar.gz distribution', () => {
  it('extracts every verified member into the cache and deletes the archive', async () => {
    const mini = makeMiniCifar(`${base}/good/mini.tar.gz`);
    routes.set('/good/mini.tar.gz', mini.archive);
    const cacheDir = join(mini.dir, 'cache');
    const result = await downloadSplit(mini.spec, 'test', { cacheDir, mirrors: [mini.mirror], progress: false });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.contents[0]).toEqual(mini.test);
    expect(readdirSync(cacheDir).sort()).toEqual(['data_batch_1.bin', 'test_batch.bin']);
    expect(new Uint8Array(readFileSync(join(cacheDir, 'data_batch_1.bin')))).toEqual(mini.train);

    const wrong = { ...mini.spec, splits: { ...mini.spec.splits, test: { n: 2, files: [{ ...mini.spec.splits.test.files[0]!, sha256: 'f'.repeat(64) }] } } };
    const bad = await downloadSplit(wrong, 'test', { cacheDir: join(mini.dir, 'cache2'), mirrors: [mini.mirror], progress: false });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.failures[0]!.problem).toMatch(/mini\.tar\.gz:mini-batches-bin\/test_batch\.bin: checksum mismatch/);
    expect(readdirSync(join(mini.dir, 'cache2'))).toEqual([]);
  });
});
